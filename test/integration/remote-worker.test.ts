import { expect } from 'chai'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { App } from '../../src/app.ts'
import type { TestApp } from '../helpers/test-app.ts'
import { waitFor } from '../helpers/wait-for.ts'
import {
  api,
  buildRemoteServer,
  execute,
  job,
  restartServer,
  serverLog,
  spawnWorker,
  streamLogs,
  waitForJob,
  waitForStep,
  type WorkerProcess,
} from './remote-worker-support.ts'

describe('remote workers end to end (weir worker processes against a server)', function () {
  this.timeout(40000)
  let t: TestApp
  let app: App
  let port: number
  let tmp: string
  const workers: WorkerProcess[] = []
  const ids = new Map<WorkerProcess, string>()
  let a: WorkerProcess
  let b: WorkerProcess

  const other = (w: WorkerProcess) => (w === a ? b : a)
  const byId = (id: string) => [...ids].find(([, v]) => v === id)![0]
  const gate = (name: string) => join(tmp, name)

  before(async function () {
    this.timeout(60000)
    ;({ t, port } = await buildRemoteServer())
    app = t.app
    tmp = mkdtempSync(join(tmpdir(), 'weir-remote-e2e-'))
    a = spawnWorker('worker-a', port, join(tmp, 'state-a'))
    b = spawnWorker('worker-b', port, join(tmp, 'state-b'))
    workers.push(a, b)
    const [idA, idB] = await Promise.all([a.started(), b.started()])
    ids.set(a, idA).set(b, idB)
  })

  after(async function () {
    this.timeout(30000)
    for (const w of workers) w.signal('SIGCONT')
    // Open every gate so orphaned step processes of killed workers end.
    for (const g of ['g-stop', 'g-kill', 'g-restart', 'g-term']) writeFileSync(gate(g), '')
    await Promise.all(workers.map((w) => w.stop()))
    if (app !== t.app) await app.stop()
    await t.close()
    rmSync(tmp, { recursive: true, force: true })
  })

  it('spreads a 20-branch fan-out over both workers and streams its logs over the WebSocket', async () => {
    const dir = join(tmp, 'fan-out')
    mkdirSync(dir)
    const id = await execute(port, 'fan-out', { dir })
    const stream = streamLogs(port, id)
    const done = await waitForJob(port, id, 30000)
    expect(done.status).to.equal('completed')
    expect(done.steps).to.have.length(20)
    const used = new Set(done.steps.map((s: any) => s.worker_id))
    expect(used).to.deep.equal(new Set([ids.get(a), ids.get(b)]))
    const { messages, code } = await stream
    expect(code).to.equal(1000)
    const end = messages.at(-1)
    expect(end).to.include({ type: 'end', job_id: id, status: 'completed' })
    const lines = messages.slice(0, -1)
    expect(lines.map((m) => m.seq)).to.deep.equal(lines.map((_, i) => i + 1))
    expect(end.last_seq).to.equal(lines.length)
    for (let i = 1; i <= 20; i++) {
      const step = `b${String(i).padStart(2, '0')}`
      expect(
        lines.some((m) => m.step === step && m.line === `branch ${step} done`),
        step,
      ).to.equal(true)
    }
  })

  it('runs a source: step from the folder given with --workspace-dir', async () => {
    const done = await waitForJob(port, await execute(port, 'from-workspace-file'))
    expect(done.status).to.equal('completed')
    expect(done.steps[0].output).to.deep.equal({ file: true })
  })

  it('claims nothing new while drained, and claims again once undrained', async () => {
    expect((await api(port, 'POST', `/api/workers/${ids.get(a)}/drain`, {})).status).to.equal(200)
    const drained = await Promise.all([1, 2, 3].map(() => execute(port, 'quick')))
    for (const id of drained) {
      const done = await waitForJob(port, id)
      expect(done.status).to.equal('completed')
      expect(done.steps[0].worker_id).to.equal(ids.get(b))
    }
    expect((await api(port, 'POST', `/api/workers/${ids.get(a)}/undrain`, {})).status).to.equal(200)
    expect((await api(port, 'POST', `/api/workers/${ids.get(b)}/drain`, {})).status).to.equal(200)
    const back = await waitForJob(port, await execute(port, 'quick'))
    expect(back.steps[0].worker_id).to.equal(ids.get(a))
    expect((await api(port, 'POST', `/api/workers/${ids.get(b)}/undrain`, {})).status).to.equal(200)
  })

  it('fences out a worker frozen past its lease: its late result is refused, the retry stands', async () => {
    const id = await execute(port, 'gated', { gate: gate('g-stop') })
    const first = await waitForStep(port, id, (s) => s.status === 'running', 'the first attempt')
    const frozen = byId(first.worker_id)
    frozen.signal('SIGSTOP')
    const retry = await waitForStep(
      port,
      id,
      (s) => s.status === 'running' && s.attempt === 2,
      'the retry on the other worker',
    )
    expect(retry.worker_id).to.equal(ids.get(other(frozen)))
    writeFileSync(gate('g-stop'), '')
    const done = await waitForJob(port, id)
    frozen.signal('SIGCONT')
    expect(done.status).to.equal('completed')
    expect(done.steps[0]).to.include({ attempt: 2, worker_id: ids.get(other(frozen)) })
    expect(done.steps[0].output).to.deep.equal({ attempt: 2 })
    const refused = await waitFor(
      () =>
        frozen
          .logs()
          .find(
            (l) =>
              l.msg === 'lease is gone; the step is stopped and its result discarded' &&
              l.jobId === id,
          ),
      { timeoutMs: 10000, what: 'the frozen worker to learn its lease is gone' },
    )
    expect(refused.why).to.match(/lease (expired|lost)/)
    expect(await serverLog(port, id)).to.match(/lost/)
    // The late attempt changed nothing.
    expect((await job(port, id)).steps[0].output).to.deep.equal({ attempt: 2 })
  })

  it('retries a step on the other worker within seconds when its worker is killed -9', async () => {
    const id = await execute(port, 'gated', { gate: gate('g-kill') })
    const first = await waitForStep(port, id, (s) => s.status === 'running', 'the first attempt')
    const victim = byId(first.worker_id)
    victim.signal('SIGKILL')
    await victim.exited
    const retry = await waitForStep(
      port,
      id,
      (s) => s.attempt === 2 && s.status === 'running',
      'the retry after the kill',
    )
    expect(retry.worker_id).to.equal(ids.get(other(victim)))
    expect(await serverLog(port, id)).to.match(new RegExp(`worker ${victim.name} lost`))
    writeFileSync(gate('g-kill'), '')
    const done = await waitForJob(port, id)
    expect(done.status).to.equal('completed')
    expect(done.steps[0].output).to.deep.equal({ attempt: 2 })
    // The survivor carries on for the last test.
    if (victim === a) a = b
    else b = a
  })

  it('keeps a running step across a server restart: the worker reconnects and the job finishes', async () => {
    const id = await execute(port, 'gated', { gate: gate('g-restart') })
    const first = await waitForStep(port, id, (s) => s.status === 'running', 'the step to run')
    const survivor = byId(first.worker_id)
    app = await restartServer(app, t, port)
    writeFileSync(gate('g-restart'), '')
    const done = await waitForJob(port, id)
    expect(done.status).to.equal('completed')
    expect(done.steps[0]).to.include({ attempt: 1, worker_id: ids.get(survivor) })
    // Lines pushed after the restart reach the job's log (through its new owner, on PostgreSQL).
    await waitFor(
      async () =>
        ((await api(port, 'GET', `/api/jobs/${id}/logs`)).body.logs as string).includes(
          'attempt 1 passed the gate',
        ),
      { timeoutMs: 20000, intervalMs: 200, what: 'the lines pushed after the restart' },
    )
    // The new server knows the worker as active: its heartbeats reached it too.
    const seen = await api(port, 'GET', `/api/workers/${ids.get(survivor)}`)
    expect(seen.body).to.include({ status: 'active', name: survivor.name })
  })

  it('on SIGTERM gives a running step the grace, reports it failed, deregisters and exits 0', async () => {
    const last = a
    const id = await execute(port, 'gated', { gate: gate('g-term') })
    await waitForStep(port, id, (s) => s.status === 'running', 'the step to run')
    last.signal('SIGTERM')
    expect(await last.exited).to.equal(0)
    expect(last.logs().map((l) => l.msg)).to.include.members(['step reported', 'deregistered'])
    expect(await serverLog(port, id)).to.match(/worker shutting down/)
    expect((await api(port, 'GET', `/api/workers/${ids.get(last)}`)).body.status).to.equal(
      'revoked',
    )
    // A failed attempt: the step waits for its retry (no worker is left to run it).
    const step = (await job(port, id)).steps[0]
    expect(step.status).to.be.oneOf(['ready', 'pending'])
  })
})
