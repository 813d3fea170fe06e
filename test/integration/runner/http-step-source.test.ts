import { expect } from 'chai'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import type { WorkerConfig } from '../../../src/config/worker-config.ts'
import { createWorkerApp, WorkerRefusedError, type WorkerApp } from '../../../src/worker-app.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import { FakeWorkerServer } from './fake-worker-server.ts'

function captureLogger() {
  const entries: any[] = []
  const logger = pino({ level: 'debug' }, { write: (s: string) => entries.push(JSON.parse(s)) })
  return { logger, entries, messages: () => entries.map((e) => e.msg as string) }
}

describe('weir worker client against a protocol fake (HttpStepSource)', function () {
  this.timeout(20000)
  let server: FakeWorkerServer
  let stateDir: string
  const apps: WorkerApp[] = []

  function start(over: Partial<WorkerConfig> = {}) {
    const log = captureLogger()
    const app = createWorkerApp({
      config: {
        server: server.url,
        token: server.enrollmentToken,
        name: 'w1',
        concurrency: 2,
        tags: [],
        capabilities: ['script'],
        detectDocker: false,
        docker: { host: 'unix:///nonexistent/docker.sock', runnerImage: 'alpine', network: null },
        stateDir,
        workspaceDirs: {},
        cacheDir: join(stateDir, 'cache'),
        keepRevisions: 3,
        graceSecs: 5,
        logLevel: 'debug',
        ...over,
      },
      logger: log.logger,
      env: { PATH: process.env.PATH ?? '', WEIR_WORKER__TOKEN: 'must-not-leak' },
      hostname: 'test-host',
    })
    apps.push(app)
    return { app, log }
  }

  beforeEach(async () => {
    server = new FakeWorkerServer()
    await server.listen()
    stateDir = mkdtempSync(join(tmpdir(), 'weir-worker-state-'))
  })
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.stop()))
    await server.close()
    rmSync(stateDir, { recursive: true, force: true })
  })

  it('registers once, keeps its secret in a 0600 state file, and reuses it after a restart', async () => {
    const first = start()
    await first.app.start()
    expect(server.registrations).to.equal(1)
    const file = join(stateDir, 'w1.json')
    expect(statSync(file).mode & 0o777).to.equal(0o600)
    const saved = JSON.parse(readFileSync(file, 'utf8'))
    expect(saved.worker_id).to.equal(first.app.workerId)
    const [body] = [...server.workers.values()].map((w) => w.body)
    expect(body).to.deep.equal({
      name: 'w1',
      hostname: 'test-host',
      version: '0.1.0',
      capabilities: ['script'],
      tags: [],
      max_concurrency: 2,
    })
    // A second process with the same state file: no new registration.
    const second = start()
    await second.app.start()
    expect(second.app.workerId).to.equal(first.app.workerId)
    expect(server.registrations).to.equal(1)
  })

  it('registers again after the server refuses the saved secret (401)', async () => {
    const { app } = start()
    await app.start()
    for (const w of server.workers.values()) w.revoked = true
    await waitFor(() => server.registrations === 2, { timeoutMs: 5000, what: 're-registration' })
    await waitFor(() => app.workerId !== null, { what: 'new credentials' })
  })

  it('fails to start with a clear error when the enrollment token is refused', async () => {
    const { app } = start({ token: 'wrong-token' })
    const err = await app.start().then(
      () => null,
      (e: unknown) => e,
    )
    expect(err).to.be.instanceOf(WorkerRefusedError)
    expect(String(err)).to.match(/refused to register worker 'w1' \(401\): bad token/)
  })

  it('runs a claimed step through logs and complete (no start call), one lease call at a time', async () => {
    const { app } = start()
    await app.start()
    const lease = server.addClaim({
      action: {
        type: 'script',
        script:
          'echo "one $WEIR_STEP_NAME"; echo "token=${WEIR_WORKER__TOKEN:-none}"; echo two >&2; echo \'OUTPUT: {"n": 1}\'',
      },
    })
    await waitFor(() => lease.completed, { what: 'completion' })
    expect(lease.completed).to.include({ status: 'completed', exit_code: 0 })
    expect(lease.completed!.output).to.deep.equal({ n: 1 })
    expect(lease.lines.map((l) => `${l.stream}:${l.line}`)).to.have.members([
      'stdout:one step',
      'stdout:token=none',
      'stderr:two',
      'stdout:OUTPUT: {"n": 1}',
    ])
    const calls = server.calls.map((c) => `${c.call}#${String(c.seq)}:${c.status}`)
    // The server records started_at with the claim, so the first call is a log push.
    expect(calls[0]).to.equal('logs#1:200')
    expect(calls.some((c) => c.startsWith('start'))).to.equal(false)
    expect(calls.at(-1)).to.match(/^complete#\d+:200$/)
    // seq goes up by one per call: nothing was sent out of turn.
    expect(server.calls.map((c) => c.seq)).to.deep.equal(server.calls.map((_, i) => i + 1))
  })

  it('carries the last lines in complete and runs the next step its reply hands over', async () => {
    server.completeFields = ['lines', 'claim_next']
    const { app } = start()
    await app.start()
    const next = server.addClaim({
      stepName: 'second',
      action: { type: 'script', script: 'echo "two $WEIR_STEP_NAME"' },
      onComplete: true,
    })
    const first = server.addClaim({
      stepName: 'first',
      action: { type: 'script', script: 'echo one; echo \'OUTPUT: {"n": 1}\'' },
    })
    await waitFor(() => next.completed, { what: 'the handed step to complete' })
    expect(first.lines.map((l) => l.line)).to.deep.equal(['one', 'OUTPUT: {"n": 1}'])
    expect(first.completed).to.include({ status: 'completed', claim_next: true })
    expect(first.completed!.output).to.deep.equal({ n: 1 })
    expect(next.lines.map((l) => l.line)).to.deep.equal(['two second'])
    // No log pushes: each step's lines went with its result.
    expect(
      server.calls.map((c) => `${c.key.split('/')[1]}:${c.call}#${String(c.seq)}`),
    ).to.deep.equal(['first:complete#1', 'second:complete#1'])
  })

  it('sends a log push again with the same token and seq when its reply is lost: stored once', async () => {
    const { app } = start()
    await app.start()
    server.dropReplyOnce.add('logs')
    const lease = server.addClaim({ action: { type: 'script', script: 'echo only-once' } })
    await waitFor(() => lease.completed, { what: 'completion' })
    expect(lease.lines.map((l) => l.line)).to.deep.equal(['only-once'])
    expect(lease.completed).to.include({ status: 'completed' })
  })

  it('retries on 503 and keeps a finished result until the server is back', async () => {
    const { app, log } = start()
    await app.start()
    const dir = mkdtempSync(join(tmpdir(), 'weir-worker-gate-'))
    const lease = server.addClaim({
      action: {
        type: 'script',
        script: `echo started; while [ ! -e ${dir}/go ]; do sleep 0.05; done; echo 'OUTPUT: {"after": "outage"}'`,
      },
    })
    await waitFor(() => lease.lines.length > 0, { what: 'the step to start' })
    server.failOnce.set('complete', { status: 503, code: 'unavailable' })
    await server.close()
    writeFileSync(join(dir, 'go'), '')
    await waitFor(() => log.messages().includes('lease call failed; sending it again'), {
      what: 'a failed lease call',
    })
    await server.listen()
    await waitFor(() => lease.completed, { timeoutMs: 10000, what: 'completion after the outage' })
    expect(lease.completed!.output).to.deep.equal({ after: 'outage' })
    expect(log.messages()).to.include('server reachable again')
    rmSync(dir, { recursive: true, force: true })
  })

  it('stops a quiet step when cancel-check reports a cancel, and completes it as cancelled', async () => {
    const { app } = start()
    await app.start()
    const lease = server.addClaim({ action: { type: 'script', script: 'sleep 30' } })
    await waitFor(() => server.heartbeats.at(-1)?.running.length === 1, {
      what: 'a busy heartbeat',
    })
    lease.cancel = 'cancel_requested'
    await waitFor(() => lease.completed, { timeoutMs: 10000, what: 'cancelled completion' })
    expect(lease.completed).to.include({ status: 'cancelled' })
  })

  it('kills a step and sends no completion when the heartbeat says its lease is lost', async () => {
    const { app, log } = start()
    await app.start()
    const lease = server.addClaim({ action: { type: 'script', script: 'echo hi; sleep 30' } })
    await waitFor(() => lease.lines.length > 0, { what: 'output' })
    lease.current = false
    server.stopList.push({ job_id: lease.jobId, step_name: lease.stepName, reason: 'lease_lost' })
    await waitFor(
      () => log.messages().includes('lease is gone; the step is stopped and its result discarded'),
      { what: 'the lease to be dropped' },
    )
    await waitFor(() => server.heartbeats.at(-1)?.running.length === 0, { what: 'heartbeat' })
    expect(lease.completed).to.equal(null)
  })

  it('discards the result when a log push is refused with 409 lease_expired', async () => {
    const { app, log } = start()
    await app.start()
    const lease = server.addClaim({
      action: { type: 'script', script: 'echo a; sleep 0.3; echo b; sleep 30' },
    })
    await waitFor(() => lease.lines.length > 0, { what: 'first line' })
    lease.current = false
    await waitFor(
      () => log.messages().includes('lease is gone; the step is stopped and its result discarded'),
      {
        what: 'the refusal',
      },
    )
    expect(server.calls.some((c) => c.status === 409)).to.equal(true)
    await waitFor(() => server.heartbeats.at(-1)?.running.length === 0, { what: 'heartbeat' })
    expect(lease.completed).to.equal(null)
  })

  it('fails a source: step whose revision the server does not send, naming the workspace, revision and option', async () => {
    const { app } = start()
    await app.start()
    const lease = server.addClaim({
      workspace: 'ops',
      action: { type: 'script', source: 'scripts/deploy.sh' },
    })
    await waitFor(() => lease.completed, { what: 'completion' })
    expect(lease.completed).to.include({ status: 'failed' })
    expect(lease.completed!.error_message).to.equal(
      "cannot fetch the files of workspace 'ops' at revision 'abc123': the server answered 404 " +
        '(not_found): no route (or give this worker a folder for it: --workspace-dir ops=<path>)',
    )
  })

  it('runs a source: step from the folder given with --workspace-dir', async () => {
    const ws = mkdtempSync(join(tmpdir(), 'weir-worker-ws-'))
    writeFileSync(join(ws, 'hello.sh'), 'echo "from $(basename "$PWD")"\n')
    const { app } = start({ workspaceDirs: { ops: ws } })
    await app.start()
    const lease = server.addClaim({
      workspace: 'ops',
      action: { type: 'script', source: 'hello.sh' },
    })
    await waitFor(() => lease.completed, { what: 'completion' })
    expect(lease.completed).to.include({ status: 'completed' })
    expect(lease.lines.map((l) => l.line)).to.deep.equal([`from ${ws.split('/').at(-1)}`])
    rmSync(ws, { recursive: true, force: true })
  })

  it('heartbeats while idle with one boot id and lists its running steps', async () => {
    const { app } = start()
    await app.start()
    await waitFor(() => server.heartbeats.length >= 2, { what: 'idle heartbeats' })
    const lease = server.addClaim({ action: { type: 'script', script: 'sleep 30' } })
    await waitFor(() => server.heartbeats.at(-1)?.running.length === 1, { what: 'busy heartbeat' })
    expect(server.heartbeats.at(-1).running).to.deep.equal([
      { job_id: lease.jobId, step_name: lease.stepName },
    ])
    expect(new Set(server.heartbeats.map((h) => h.boot_id)).size).to.equal(1)
  })

  it('on stop, kills steps still running after the grace, reports them failed, then deregisters', async () => {
    const { app } = start({ graceSecs: 0 })
    await app.start()
    const lease = server.addClaim({ action: { type: 'script', script: 'sleep 30' } })
    await waitFor(() => server.heartbeats.at(-1)?.running.length === 1, {
      what: 'a busy heartbeat',
    })
    await app.stop()
    expect(lease.completed).to.include({ status: 'failed', error_message: 'worker shutting down' })
    expect(server.deregistrations).to.equal(1)
    expect(existsSync(join(stateDir, 'w1.json'))).to.equal(false)
  })
})
