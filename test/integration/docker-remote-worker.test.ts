import { expect } from 'chai'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { DockerEngine } from '../../src/runner/executors/docker-engine.ts'
import { containersOfJob, DOCKER_HOST, requireDocker } from '../helpers/docker-engine.ts'
import { buildTestApp, type TestApp } from '../helpers/test-app.ts'
import { waitFor } from '../helpers/wait-for.ts'
import {
  api,
  job,
  spawnWorker,
  TOKEN,
  waitForJob,
  type WorkerProcess,
} from './remote-worker-support.ts'

const FIXTURE = resolve(import.meta.dirname, '../fixtures/containers')

async function execute(port: number, task: string): Promise<string> {
  const res = await api(port, 'POST', `/api/workspaces/boxes/tasks/${task}/execute`, { input: {} })
  if (res.status !== 200)
    throw new Error(`execute ${task}: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body.job_id as string
}

describe('container steps on remote workers (one with a Docker Engine, one without)', function () {
  this.timeout(60000)
  let engine: DockerEngine
  let t: TestApp
  let port: number
  let tmp: string
  let boxer: WorkerProcess
  let plain: WorkerProcess
  const workers: WorkerProcess[] = []

  const startBoxer = async () => {
    boxer = spawnWorker('boxer', port, join(tmp, 'state-boxer'), ['--docker-host', DOCKER_HOST])
    workers.push(boxer)
    return boxer.started()
  }

  before(async function () {
    this.timeout(60000)
    engine = await requireDocker(this)
    t = await buildTestApp({
      worker: false,
      workspaces: { boxes: FIXTURE },
      env: {
        WEIR__WORKER_TOKEN: TOKEN,
        WEIR__WORKERS__HEARTBEAT_INTERVAL_SECS: '1',
        WEIR__WORKERS__LEASE_TTL_SECS: '4',
        WEIR__WORKERS__LOST_AFTER_SECS: '4',
      },
    })
    ;({ port } = await t.app.listen())
    tmp = mkdtempSync(join(tmpdir(), 'weir-docker-remote-'))
    plain = spawnWorker('plain', port, join(tmp, 'state-plain'), ['--capabilities', 'script'])
    workers.push(plain)
    await Promise.all([startBoxer(), plain.started()])
  })

  after(async function () {
    this.timeout(30000)
    await Promise.all(workers.map((w) => w.stop()))
    await t?.close()
    if (tmp) rmSync(tmp, { recursive: true, force: true })
  })

  it('routes docker steps to the worker with the docker capability only', async () => {
    const workersBody = (await api(port, 'GET', '/api/workers')).body as any[]
    const caps = Object.fromEntries(workersBody.map((w) => [w.name, w.capabilities]))
    expect(caps).to.deep.equal({ boxer: ['script', 'docker'], plain: ['script'] })
    const boxerId = workersBody.find((w) => w.name === 'boxer').worker_id
    const ids = await Promise.all([
      execute(port, 'mixed'),
      execute(port, 'mixed'),
      execute(port, 'greet'),
    ])
    for (const id of ids) {
      const done = await waitForJob(port, id, 30000)
      expect(done.status, JSON.stringify(done.steps)).to.equal('completed')
      const box = done.steps.find((s: any) => s.action_type === 'docker')
      expect(box.worker_id).to.equal(boxerId)
      expect(box.output).to.deep.equal({ greeting: 'hello World' })
    }
  })

  it('after a kill -9 of the worker, its restart removes the container it left', async () => {
    const id = await execute(port, 'sleep')
    await waitFor(async () => (await containersOfJob(engine, id))[0]?.state === 'running', {
      timeoutMs: 20000,
      what: 'the step container to run',
    })
    boxer.signal('SIGKILL')
    await boxer.exited
    expect(await containersOfJob(engine, id)).to.have.length(1)
    await startBoxer()
    await waitFor(async () => (await containersOfJob(engine, id)).length === 0, {
      timeoutMs: 20000,
      what: 'the restarted worker to remove the container',
    })
    await api(port, 'POST', `/api/jobs/${id}/cancel`, {})
    await waitForJob(port, id, 30000)
    expect(await containersOfJob(engine, id)).to.deep.equal([])
  })

  it('without a docker worker, a docker step waits and says why, then runs when one comes', async () => {
    expect(await boxer.stop()).to.equal(0)
    const id = await execute(port, 'greet')
    const step = await waitFor(
      async () => {
        const s = (await job(port, id)).steps[0]
        return s.status === 'ready' && s.waiting_reason ? s : undefined
      },
      { timeoutMs: 20000, intervalMs: 100, what: 'the step to wait with a reason' },
    )
    expect(step.waiting_reason).to.match(
      /^waiting for a worker with the 'docker' capability; no connected worker has it: plain \(script\)/,
    )
    await startBoxer()
    const done = await waitForJob(port, id, 30000)
    expect(done.status).to.equal('completed')
    expect(done.steps[0]).to.not.have.property('waiting_reason')
  })
})
