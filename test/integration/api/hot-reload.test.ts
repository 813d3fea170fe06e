import { expect } from 'chai'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildTestApp, type TestApp } from '../../helpers/test-app.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const flow = (cron: string) => `actions:
  hi: { type: script, script: echo hi }
tasks:
  greet:
    flow:
      say: { action: hi }
triggers:
  tick:
    type: scheduler
    cron: "${cron}"
    task: greet
`

describe('workspace hot reload', function () {
  this.timeout(20000)
  let t: TestApp
  let dir: string
  before(async function () {
    this.timeout(30000)
    dir = mkdtempSync(join(tmpdir(), 'weir-reload-'))
    mkdirSync(join(dir, '.workflows'))
    writeFileSync(join(dir, '.workflows/main.yaml'), flow('0 0 1 1 *'))
    t = await buildTestApp({ worker: false, workspaces: { live: dir } })
  })
  after(async () => {
    await t.close()
  })

  const tick = async () =>
    (await t.request().get('/api/workspaces/live/triggers').expect(200)).body[0]

  it('picks up an edited cron without a restart', async () => {
    expect((await tick()).cron).to.equal('0 0 1 1 *')
    writeFileSync(join(dir, '.workflows/main.yaml'), flow('*/5 * * * * *'))
    const updated = await waitFor(
      async () => {
        const tr = await tick()
        return tr.cron === '*/5 * * * * *' ? tr : undefined
      },
      { what: 'the new cron to be served' },
    )
    expect(Date.parse(updated.next_runs[1]) - Date.parse(updated.next_runs[0])).to.equal(5000)
  })

  it('keeps the last good version when the YAML breaks, and reports the error with its line', async () => {
    const before = (await t.request().get('/api/workspaces').expect(200)).body[0]
    writeFileSync(join(dir, '.workflows/main.yaml'), 'tasks:\n  greet:\n    flow: [\n')
    const broken = await waitFor(
      async () => {
        const ws = (await t.request().get('/api/workspaces').expect(200)).body[0]
        return ws.error ? ws : undefined
      },
      { what: 'the error to be reported' },
    )
    expect(broken.revision).to.equal(before.revision)
    expect(broken.tasks_count).to.equal(1)
    expect(broken.error).to.match(/\.workflows\/main\.yaml:\d+:\d+ .*\[yaml-syntax\]/)
    expect((await tick()).cron).to.equal('*/5 * * * * *')
  })
})
