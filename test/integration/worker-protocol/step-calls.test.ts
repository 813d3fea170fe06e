import { expect } from 'chai'
import { sql } from 'kysely'
import { execute, waitForJob, type TestApp } from '../../helpers/test-app.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import {
  buildProtocolApp,
  claim,
  Lease,
  line,
  registerWorker,
  waitForServerLine,
  waitForStep,
  workerPost,
} from './protocol-client.ts'

describe('worker protocol: step calls under a lease', function () {
  this.timeout(20000)
  let t: TestApp
  before(async function () {
    this.timeout(60000)
    t = await buildProtocolApp()
  })
  after(async () => {
    await t?.close()
  })
  beforeEach(async () => {
    await t.reset()
  })

  const sweep = async () => (await t.app.ready).dispatch.sweeper.sweepOnce()
  const expireLeases = (jobId: string) =>
    sql`UPDATE step_runs SET lease_expires_at = now() - interval '1 second' WHERE job_id = ${jobId}`.execute(
      t.database.db,
    )

  it('runs a step over HTTP: claim, start, logs, complete; the job completes with its logs', async () => {
    const w = await registerWorker(t)
    const jobId = await execute(t, 'one-step', { text: 'from afar' })
    const c = await claim(t, w)
    expect(c.jobId).to.equal(jobId)
    expect(c.body).to.include({
      step_name: 'only',
      attempt: 1,
      action_name: 'say',
      runner: 'local',
    })
    expect(c.body.lease.token).to.match(/^wlt_/)
    expect(c.body.action).to.include({ type: 'script', language: 'shell' })
    expect(c.body.action.script).to.contain('echo "from afar"')
    expect(c.body.input).to.deep.equal({ text: 'from afar' })
    expect(c.body.env).to.include({ WEIR_JOB_ID: jobId, WEIR_INPUT_TEXT: 'from afar' })
    const lease = new Lease(t, w, c)
    const started = await lease.send('start')
    expect(started.status).to.equal(200)
    expect(started.body.next_token).to.match(/^wlt_/).and.not.equal(c.body.lease.token)
    expect(Date.parse(started.body.lease_expires_at)).to.be.greaterThan(Date.now())
    const logs = await lease.send('logs', {
      lines: [line('from afar'), line('a warning', 'stderr'), line('key=remote-Deploy-Key-9f3a')],
    })
    expect(logs.status, JSON.stringify(logs.body)).to.equal(200)
    expect(logs.body).to.include({ accepted: 3, cancel_requested: false })
    expect(logs.body.last_seq).to.be.a('number')
    const done = await lease.send('complete', {
      status: 'completed',
      exit_code: 0,
      output: { n: 1 },
    })
    expect(done.status, JSON.stringify(done.body)).to.equal(200)
    expect(done.body).to.deep.equal({ step_status: 'completed', job_status: 'completed' })
    const job = await waitForJob(t, jobId)
    expect(job.status).to.equal('completed')
    expect(job.steps[0]).to.include({ status: 'completed', worker_id: w.id, exit_code: 0 })
    expect(job.steps[0].started_at).to.be.a('string')
    expect(job.steps[0].output).to.deep.equal({ n: 1 })
    const text = (await t.request().get(`/api/jobs/${jobId}/steps/only/logs`).expect(200)).body
      .logs as string
    const stored = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(stored.map((l) => [l.stream, l.line])).to.deep.equal([
      ['stdout', 'from afar'],
      ['stderr', 'a warning'],
      ['stdout', 'key=******'],
    ])
  })

  it('replays the last call from its stored reply, once, and refuses older tokens and wrong seqs', async () => {
    const w = await registerWorker(t)
    const jobId = await execute(t, 'one-step')
    const lease = new Lease(t, w, await claim(t, w))
    const first = lease.token
    await lease.send('start')
    const pushToken = lease.token
    const push = await lease.send('logs', { lines: [line('only once')] })
    expect(push.status).to.equal(200)
    // The response was "lost": the worker sends the same call again.
    const again = await workerPost(
      t,
      w,
      lease.path('logs'),
      { seq: 2, lines: [line('only once')] },
      pushToken,
    )
    expect(again.status).to.equal(200)
    expect(again.body).to.deep.equal(push.body)
    // A token consumed before the last call, and the current token with a wrong seq.
    const used = await workerPost(t, w, lease.path('logs'), { seq: 1, lines: [line('x')] }, first)
    expect(used.status).to.equal(409)
    expect(used.body.code).to.equal('lease_token_used')
    const skipped = await workerPost(
      t,
      w,
      lease.path('logs'),
      { seq: 7, lines: [line('x')] },
      lease.token,
    )
    expect(skipped.status).to.equal(409)
    expect(skipped.body).to.include({ code: 'conflict' })
    expect(skipped.body.error).to.contain('expected seq 3')
    const completeToken = lease.token
    const done = await lease.send('complete', { status: 'completed', exit_code: 0 })
    expect(done.status).to.equal(200)
    const replay = await workerPost(
      t,
      w,
      lease.path('complete'),
      { seq: 3, status: 'completed' },
      completeToken,
    )
    expect(replay.status).to.equal(200)
    expect(replay.body).to.deep.equal(done.body)
    const logs = (await t.request().get(`/api/jobs/${jobId}/steps/only/logs`).expect(200)).body.logs
    expect((logs as string).match(/only once/g)).to.have.length(1)
  })

  it('stores lines sent with complete before the result, and hands the next step back with claim_next', async () => {
    const w = await registerWorker(t)
    const jobId = await execute(t, 'two-steps', { text: 'chained' })
    const c = await claim(t, w)
    expect(c.body.lease.complete_fields).to.deep.equal(['lines', 'claim_next'])
    const first = new Lease(t, w, c)
    const done = await first.send('complete', {
      status: 'completed',
      exit_code: 0,
      lines: [line('first out'), line('key=remote-Deploy-Key-9f3a', 'stderr')],
      claim_next: true,
    })
    expect(done.status, JSON.stringify(done.body)).to.equal(200)
    expect(done.body).to.include({ step_status: 'completed', job_status: 'running' })
    const handed = done.body.next_claim
    expect(handed).to.include({ job_id: jobId, step_name: 'second', attempt: 1 })
    expect(handed.lease.token).to.match(/^wlt_/)
    // The handed step is this worker's: its lease chain starts like a claimed one's.
    const second = new Lease(t, w, { jobId, stepName: 'second', body: handed })
    const last = await second.send('complete', {
      status: 'completed',
      exit_code: 0,
      lines: [line('second out')],
      claim_next: true,
    })
    expect(last.status, JSON.stringify(last.body)).to.equal(200)
    expect(last.body).to.deep.equal({
      step_status: 'completed',
      job_status: 'completed',
      next_claim: null,
    })
    const job = await waitForJob(t, jobId)
    expect(job.status).to.equal('completed')
    const text = (await t.request().get(`/api/jobs/${jobId}/logs`).expect(200)).body.logs as string
    const stored = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((l) => l.step !== '_server')
    expect(stored.map((l) => [l.step, l.stream, l.line])).to.deep.equal([
      ['first', 'stdout', 'first out'],
      ['first', 'stderr', 'key=******'],
      ['second', 'stdout', 'second out'],
    ])
  })

  it('stores the lines of a replayed complete once, and refuses them with a used token', async () => {
    const w = await registerWorker(t)
    const jobId = await execute(t, 'one-step')
    const lease = new Lease(t, w, await claim(t, w))
    const token = lease.token
    const body = { status: 'completed', exit_code: 0, lines: [line('only once')] }
    expect((await lease.send('complete', body)).status).to.equal(200)
    const replay = await workerPost(t, w, lease.path('complete'), { seq: 1, ...body }, token)
    expect(replay.status).to.equal(200)
    const late = await workerPost(t, w, lease.path('complete'), { seq: 2, ...body }, token)
    expect(late.status).to.equal(409)
    const logs = (await t.request().get(`/api/jobs/${jobId}/steps/only/logs`).expect(200)).body.logs
    expect((logs as string).match(/only once/g)).to.have.length(1)
  })

  it('answers 404 to another worker and to another step, and 400 without a lease token', async () => {
    const a = await registerWorker(t)
    const b = await registerWorker(t)
    await execute(t, 'one-step')
    await execute(t, 'one-step')
    const leaseA = new Lease(t, a, await claim(t, a))
    const leaseB = new Lease(t, b, await claim(t, b))
    const foreign = await workerPost(t, b, leaseA.path('start'), { seq: 1 }, leaseA.token)
    expect(foreign.status).to.equal(404)
    expect(foreign.body.code).to.equal('not_found')
    const otherStep = await workerPost(t, a, leaseB.path('start'), { seq: 1 }, leaseA.token)
    expect(otherStep.status).to.equal(404)
    const noToken = await workerPost(t, a, leaseA.path('start'), { seq: 1 })
    expect(noToken.status).to.equal(400)
    const badJob = await workerPost(
      t,
      a,
      '/worker/jobs/abc/steps/only/start',
      { seq: 1 },
      leaseA.token,
    )
    expect(badJob.status).to.equal(400)
    expect((await leaseA.send('start')).status).to.equal(200)
  })

  it('fences out a lease the sweeper ended, and a late complete after the retry was claimed', async () => {
    const a = await registerWorker(t)
    const b = await registerWorker(t)
    const jobId = await execute(t, 'retried')
    const leaseA = new Lease(t, a, await claim(t, a))
    expect((await leaseA.send('start')).status).to.equal(200)
    await expireLeases(jobId)
    // Expired but not yet swept: the lease is no longer current.
    const late = await leaseA.send('logs', { lines: [line('too late')] })
    expect(late.status).to.equal(409)
    expect(late.body.code).to.equal('lease_expired')
    // This sweep, or the server's own running every second, hands the step back.
    await sweep()
    const job = await waitForStep(t, jobId, 'ready')
    expect(job.steps[0]).to.include({ attempt: 2 })
    expect(job.steps[0].error_message).to.equal(`worker ${a.name} lost (lease expired)`)
    const leaseB = new Lease(t, b, await claim(t, b))
    expect(leaseB.c.body.attempt).to.equal(2)
    const doneB = await leaseB.send('complete', {
      status: 'completed',
      exit_code: 0,
      output: { by: 'b' },
    })
    expect(doneB.body).to.deep.equal({ step_status: 'completed', job_status: 'completed' })
    const lateA = await leaseA.send('complete', {
      status: 'failed',
      exit_code: 1,
      output: { by: 'a' },
    })
    expect(lateA.status).to.equal(409)
    expect(lateA.body.code).to.equal('lease_expired')
    const final = await waitForJob(t, jobId)
    expect(final.steps[0]).to.include({ status: 'completed', worker_id: b.id })
    expect(final.steps[0].output).to.deep.equal({ by: 'b' })
  })

  it('tells the worker about a cancel (logs reply, cancel-check, heartbeat) and accepts cancelled', async () => {
    const w = await registerWorker(t)
    const jobId = await execute(t, 'one-step')
    const lease = new Lease(t, w, await claim(t, w))
    const notYet = await lease.send('complete', { status: 'cancelled' })
    expect(notYet.status).to.equal(409)
    expect(notYet.body.error).to.contain('only allowed after a stop request')
    const quiet = await lease.cancelCheck()
    expect(quiet.body).to.deep.equal({ cancel_requested: false, reason: null })
    await t.request().post(`/api/jobs/${jobId}/cancel`).expect(202)
    expect((await lease.cancelCheck()).body).to.deep.equal({
      cancel_requested: true,
      reason: 'cancel_requested',
    })
    const hb = await workerPost(t, w, '/worker/heartbeat', {
      boot_id: 'boot-1',
      running: [{ job_id: jobId, step_name: 'only' }],
    })
    expect(hb.body.stop).to.deep.equal([
      { job_id: jobId, step_name: 'only', reason: 'cancel_requested' },
    ])
    const before = lease.token
    const push = await lease.send('logs', { lines: [line('stopping')] })
    expect(push.body.cancel_requested).to.equal(true)
    // cancel-check also accepts the token just consumed, and never consumes one.
    expect((await lease.cancelCheck(before)).status).to.equal(200)
    const done = await lease.send('complete', { status: 'cancelled', error_message: 'killed' })
    expect(done.body).to.deep.equal({ step_status: 'cancelled', job_status: 'cancelled' })
    expect((await lease.cancelCheck()).body.code).to.equal('lease_expired')
  })

  it('extends listed leases on heartbeat, stops unknown ones, and loses old leases on a new boot id', async () => {
    const w = await registerWorker(t)
    const jobId = await execute(t, 'one-step')
    const lease = new Lease(t, w, await claim(t, w))
    const other = '0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee'
    const hb = await workerPost(t, w, '/worker/heartbeat', {
      boot_id: 'boot-1',
      running: [
        { job_id: jobId, step_name: 'only' },
        { job_id: other, step_name: 'x' },
      ],
    })
    expect(hb.status, JSON.stringify(hb.body)).to.equal(200)
    expect(hb.body.status).to.equal('active')
    expect(hb.body.leases).to.have.length(1)
    expect(hb.body.leases[0]).to.include({ job_id: jobId, step_name: 'only' })
    expect(Date.parse(hb.body.leases[0].expires_at)).to.be.greaterThan(Date.now())
    expect(hb.body.stop).to.deep.equal([{ job_id: other, step_name: 'x', reason: 'lease_lost' }])
    // The worker restarted: the lease it held is lost at once, and the step fails.
    const restarted = await workerPost(t, w, '/worker/heartbeat', {
      boot_id: 'boot-2',
      running: [],
    })
    expect(restarted.status).to.equal(200)
    const job = await waitForJob(t, jobId)
    expect(job.status).to.equal('failed')
    expect(job.steps[0].error_message).to.equal(`worker ${w.name} lost (restarted)`)
    await waitForServerLine(t, jobId, `step only failed: worker ${w.name} lost (restarted)`)
    expect((await lease.send('start')).body.code).to.equal('lease_expired')
    const bad = await workerPost(t, w, '/worker/heartbeat', { running: [{ job_id: 'x' }] })
    expect(bad.status).to.equal(400)
    expect(bad.body.error).to.contain('boot_id').and.contain('running[0].job_id')
  })
})

describe('worker protocol: wake-ups around a completion that claims the next step', function () {
  this.timeout(20000)
  let t: TestApp
  before(async function () {
    this.timeout(60000)
    // A parked long poll here waits a minute without a wake-up: only a wake-up brings it a step.
    t = await buildProtocolApp({}, { claimSafetyPollMs: 60_000 })
  })
  after(async () => {
    await t?.close()
  })

  it('wakes another worker for a step the completing worker may not take', async () => {
    const plain = await registerWorker(t)
    const gpu = await registerWorker(t, { tags: ['gpu'] })
    const jobId = await execute(t, 'then-gpu')
    const first = new Lease(t, plain, await claim(t, plain))
    const services = await t.app.ready
    const parked = claim(t, gpu, 30)
    await waitFor(async () => services.workers.steps.waitingClaims === 1 || undefined, {
      timeoutMs: 8000,
      what: 'the gpu worker to park its long poll',
    })
    const done = await first.send('complete', {
      status: 'completed',
      exit_code: 0,
      claim_next: true,
    })
    expect(done.status, JSON.stringify(done.body)).to.equal(200)
    expect(done.body.next_claim).to.equal(null)
    const handed = await parked
    expect(handed).to.include({ jobId, stepName: 'second' })
  })

  it("lets one of a worker's parked polls claim per wake-up, not each of them", async () => {
    const w = await registerWorker(t)
    const services = await t.app.ready
    const source = services.dispatch.source
    const claimFor = source.claimFor.bind(source)
    let claims = 0
    source.claimFor = (...args: Parameters<typeof claimFor>) => {
      claims++
      return claimFor(...args)
    }
    try {
      const polls = [1, 2, 3, 4].map(() => claim(t, w, 30))
      // The three left waiting end with the test's app (no step: not a 200), unobserved.
      for (const p of polls) p.catch(() => undefined)
      await waitFor(async () => services.workers.steps.waitingClaims === 4 || undefined, {
        timeoutMs: 8000,
        what: 'four parked polls',
      })
      claims = 0
      const jobId = await execute(t, 'one-step')
      const first = await Promise.race(polls)
      expect(first).to.include({ jobId, stepName: 'only' })
      await waitFor(async () => services.workers.steps.waitingClaims === 3 || undefined, {
        timeoutMs: 8000,
        what: 'the other three polls to wait again',
      })
      // The one that got the step, and one more that found nothing; the other two saw that.
      expect(claims).to.equal(2)
      expect(
        (await new Lease(t, w, first).send('complete', { status: 'completed' })).status,
      ).to.equal(200)
    } finally {
      source.claimFor = claimFor
      await t.reset()
    }
  })

  it("hands back another job's waiting step with the completion that ends a job", async () => {
    const w = await registerWorker(t)
    const a = await execute(t, 'one-step')
    const b = await execute(t, 'one-step')
    const first = await claim(t, w)
    expect(first.jobId).to.equal(a)
    const done = await new Lease(t, w, first).send('complete', {
      status: 'completed',
      claim_next: true,
    })
    expect(done.body).to.include({ job_status: 'completed' })
    expect(done.body.next_claim).to.include({ job_id: b, step_name: 'only' })
    const second = new Lease(t, w, { jobId: b, stepName: 'only', body: done.body.next_claim })
    expect(
      (await second.send('complete', { status: 'completed', claim_next: true })).body,
    ).to.include({
      job_status: 'completed',
      next_claim: null,
    })
  })

  it('hands the step it made ready to the completing worker, and the job runs on', async () => {
    const w = await registerWorker(t)
    const jobId = await execute(t, 'two-steps')
    const first = new Lease(t, w, await claim(t, w))
    const done = await first.send('complete', {
      status: 'completed',
      exit_code: 0,
      claim_next: true,
    })
    expect(done.body.next_claim).to.include({ job_id: jobId, step_name: 'second' })
    const second = new Lease(t, w, { jobId, stepName: 'second', body: done.body.next_claim })
    expect((await second.send('complete', { status: 'completed', exit_code: 0 })).status).to.equal(
      200,
    )
    expect((await waitForJob(t, jobId)).status).to.equal('completed')
  })
})
