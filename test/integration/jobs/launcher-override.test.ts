import { expect } from 'chai'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ProcessLauncher } from '../../../src/runner/executors/process-launcher.ts'
import { createSwitchLauncher, type SwitchLauncher } from '../../../scripts/bench/noop-launcher.ts'
import { buildTestApp, execute, waitForJob, type TestApp } from '../../helpers/test-app.ts'

/** A step that fails whenever a real process runs it. */
const WORKSPACE_YAML = `
actions:
  fail:
    type: script
    script: echo ran; exit 7
tasks:
  would-fail:
    flow:
      only: { action: fail }
`

describe('the launcher override (benchmark no-op steps)', function () {
  this.timeout(20000)
  let t: TestApp
  let dir: string
  let configured: ProcessLauncher | null = null
  let launcher: SwitchLauncher | null = null
  before(async function () {
    this.timeout(30000)
    dir = mkdtempSync(join(tmpdir(), 'weir-override-ws-'))
    mkdirSync(join(dir, '.workflows'))
    writeFileSync(join(dir, '.workflows', 'fail.yaml'), WORKSPACE_YAML)
    t = await buildTestApp({
      workspaces: { default: dir },
      launcherOverride: (real) => {
        configured = real
        launcher = createSwitchLauncher(real)
        return launcher
      },
    })
  })
  after(async () => {
    await t.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('hands the configured launcher to the override', () => {
    expect(configured).to.have.property('launch').that.is.a('function')
    expect(launcher).to.not.equal(null)
  })

  it('runs real processes through the configured launcher when the switch says real', async () => {
    launcher!.mode = 'real'
    const job = await waitForJob(t, await execute(t, 'would-fail'))
    expect(job.status).to.equal('failed')
    expect(job.steps[0].exit_code).to.equal(7)
  })

  it('completes steps without spawning when the switch says noop', async () => {
    launcher!.mode = 'noop'
    const id = await execute(t, 'would-fail')
    const job = await waitForJob(t, id)
    expect(job.status).to.equal('completed')
    expect(job.steps[0].exit_code).to.equal(0)
    const logs = (await t.request().get(`/api/jobs/${id}/logs`).expect(200)).body.logs as string
    expect(logs).to.not.include('"line":"ran"')
  })
})
