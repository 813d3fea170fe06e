import { expect } from 'chai'
import { sql } from 'kysely'
import { insertEnrollmentToken } from '../../../src/db/repositories/enrollment-token.repository.ts'
import { hashSecret } from '../../../src/workers/worker-credentials.ts'
import { execute, waitForJob, type TestApp } from '../../helpers/test-app.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import {
  buildProtocolApp,
  claim,
  ENROLLMENT_TOKEN,
  registerWorker,
  waitForServerLine,
  waitForStep,
  workerPost,
  type RegisteredWorker,
} from './protocol-client.ts'

describe('worker protocol: registration, claims and the workers API', function () {
  this.timeout(25000)
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

  const register = (token: string, body: unknown) =>
    t
      .request()
      .post('/worker/register')
      .set('Authorization', `Bearer ${token}`)
      .send(body as object)
  const noWork = async (w: RegisteredWorker, waitSecs = 0) => {
    const res = await workerPost(t, w, '/worker/claim', { wait_secs: waitSecs })
    expect(res.status, JSON.stringify(res.body)).to.equal(204)
  }
  const workerDto = async (w: RegisteredWorker) =>
    (await t.request().get(`/api/workers/${w.id}`).expect(200)).body

  it('registers with the configured token or an issued one, and refuses anything else', async () => {
    const good = {
      name: 'build-01',
      hostname: 'h1',
      version: '0.1.0',
      capabilities: ['script'],
      tags: ['linux'],
      max_concurrency: 2,
    }
    const res = await register(ENROLLMENT_TOKEN, good).expect(201)
    expect(res.body).to.have.keys([
      'worker_id',
      'worker_secret',
      'heartbeat_interval_secs',
      'lease_ttl_secs',
      'max_claim_wait_secs',
    ])
    expect(res.body).to.include({
      heartbeat_interval_secs: 3,
      lease_ttl_secs: 10,
      max_claim_wait_secs: 30,
    })
    expect(res.body.worker_secret).to.match(/^wks_/)
    const row = await t.database.db
      .selectFrom('workers')
      .selectAll()
      .where('id', '=', res.body.worker_id)
      .executeTakeFirstOrThrow()
    expect(row.secret_hash).to.equal(hashSecret(res.body.worker_secret))
    expect(JSON.stringify(row)).to.not.contain(res.body.worker_secret)

    expect((await t.request().post('/worker/register').send(good)).status).to.equal(401)
    const wrong = await register('not-the-token', good)
    expect(wrong.status).to.equal(401)
    expect(wrong.body.code).to.equal('unauthorized')
    const bad = await register(ENROLLMENT_TOKEN, {
      name: 'no spaces',
      capabilities: ['gpu'],
      max_concurrency: 0,
      extra: 1,
    })
    expect(bad.status).to.equal(400)
    expect(bad.body.code).to.equal('validation_failed')
    for (const f of ['name', 'capabilities[0]', 'max_concurrency', 'extra'])
      expect(bad.body.error).to.contain(f)

    await insertEnrollmentToken(t.database.db, {
      id: '0190aaaa-bbbb-7ccc-8ddd-000000000001',
      name: 'once',
      tokenHash: hashSecret('issued-once-token'),
      usesLeft: 1,
      expiresAt: null,
    })
    await insertEnrollmentToken(t.database.db, {
      id: '0190aaaa-bbbb-7ccc-8ddd-000000000002',
      name: 'old',
      tokenHash: hashSecret('issued-old-token'),
      usesLeft: null,
      expiresAt: new Date(Date.now() - 60_000),
    })
    await register('issued-once-token', good).expect(201)
    expect((await register('issued-once-token', good)).status).to.equal(401)
    expect((await register('issued-old-token', good)).status).to.equal(401)
  })

  it('needs the worker secret on every other /worker route', async () => {
    expect((await t.request().post('/worker/heartbeat').send({ boot_id: 'b' })).status).to.equal(
      401,
    )
    const unknown = await t
      .request()
      .post('/worker/claim')
      .set('Authorization', 'Bearer wks_nope')
      .send({})
    expect(unknown.status).to.equal(401)
    expect(unknown.body).to.include({ code: 'unauthorized' })
    const w = await registerWorker(t)
    await noWork(w)
    expect((await workerPost(t, w, '/worker/claim', { wait_secs: 99 })).status).to.equal(400)
  })

  it('answers a waiting claim as soon as a step is ready', async () => {
    const w = await registerWorker(t)
    const waiting = claim(t, w, 20)
    const { steps: remoteSteps } = (await t.app.ready).workers
    await waitFor(() => remoteSteps.waitingClaims === 1, { what: 'the claim to wait' })
    const jobId = await execute(t, 'one-step')
    const c = await waiting
    expect(c.jobId).to.equal(jobId)
    const job = (await t.request().get(`/api/jobs/${jobId}`).expect(200)).body
    expect(job.status).to.equal('running')
    expect(job.steps[0]).to.include({ status: 'running', worker_id: w.id })
    // Recorded with the claim (the start call is optional).
    expect(job.steps[0].started_at).to.be.a('string')
  })

  it('hands out only steps whose tags and capabilities the worker has', async () => {
    const plain = await registerWorker(t, { tags: ['linux'] })
    const dockerOnly = await registerWorker(t, { capabilities: ['docker'], tags: ['gpu'] })
    const gpu = await registerWorker(t, { tags: ['gpu', 'linux'] })
    const jobId = await execute(t, 'gpu-only')
    await noWork(plain)
    await noWork(dockerOnly)
    expect((await claim(t, gpu)).jobId).to.equal(jobId)
  })

  it('answers 204 at once to a worker at max_concurrency', async () => {
    const w = await registerWorker(t, { max_concurrency: 1 })
    await execute(t, 'one-step')
    await claim(t, w)
    await execute(t, 'one-step')
    await noWork(w, 15)
    expect((await workerDto(w)).running_steps).to.equal(1)
  })

  it('stops claims while drained, by the worker or by an operator', async () => {
    const w = await registerWorker(t)
    await execute(t, 'one-step')
    expect((await workerPost(t, w, '/worker/drain', { reason: 'upgrade' })).body).to.deep.equal({
      status: 'draining',
    })
    await noWork(w, 15)
    expect(await workerDto(w)).to.include({ status: 'draining', drain_reason: 'upgrade' })
    expect((await workerPost(t, w, '/worker/undrain')).body).to.deep.equal({ status: 'active' })
    await claim(t, w)

    const drained = await t
      .request()
      .post(`/api/workers/${w.id}/drain`)
      .send({ reason: 'disk full' })
      .expect(200)
    expect(drained.body).to.include({
      worker_id: w.id,
      status: 'draining',
      drain_reason: 'disk full',
    })
    expect(drained.body.draining_since).to.be.a('string')
    expect((await workerPost(t, w, '/worker/undrain')).status).to.equal(409)
    const undrained = await t.request().post(`/api/workers/${w.id}/undrain`).expect(200)
    expect(undrained.body).to.include({
      status: 'active',
      draining_since: null,
      drain_reason: null,
    })
    expect(
      (await t.request().post(`/api/workers/${w.id}/drain`).send({ colour: 1 })).status,
    ).to.equal(400)
  })

  it('revokes a worker: its leases are lost at once and its secret stops working', async () => {
    const w = await registerWorker(t)
    const jobId = await execute(t, 'one-step')
    await claim(t, w)
    const res = await t.request().delete(`/api/workers/${w.id}`).expect(200)
    expect(res.body).to.include({ worker_id: w.id, status: 'revoked' })
    const job = await waitForJob(t, jobId)
    expect(job.steps[0].error_message).to.equal(`worker ${w.name} lost (revoked)`)
    expect((await workerPost(t, w, '/worker/heartbeat', { boot_id: 'b' })).status).to.equal(401)
    expect((await t.request().post(`/api/workers/${w.id}/drain`)).status).to.equal(409)
    expect((await t.request().delete(`/api/workers/${w.id}`)).status).to.equal(200)
    const leaving = await registerWorker(t)
    expect((await workerPost(t, leaving, '/worker/deregister')).status).to.equal(204)
    expect((await workerPost(t, leaving, '/worker/claim', { wait_secs: 0 })).status).to.equal(401)
  })

  it('lists workers by status with a total, and shows recent jobs on the detail', async () => {
    const a = await registerWorker(t, { name: 'alpha', tags: ['linux'] })
    const b = await registerWorker(t, { name: 'beta' })
    await t.request().delete(`/api/workers/${a.id}`).expect(200)
    const jobId = await execute(t, 'one-step')
    await claim(t, b)
    const list = await t.request().get('/api/workers').expect(200)
    expect(list.headers['x-total-count']).to.equal('2')
    expect(list.body.map((w: any) => [w.name, w.status])).to.deep.equal([
      ['beta', 'active'],
      ['alpha', 'revoked'],
    ])
    expect(list.body[1]).to.include({
      kind: 'remote',
      max_concurrency: 4,
      running_steps: 0,
      version: null,
    })
    expect(list.body[1].tags).to.deep.equal(['linux'])
    expect(list.body[1].capabilities).to.deep.equal(['script'])
    const page = await t.request().get('/api/workers?limit=1&offset=1').expect(200)
    expect(page.body.map((w: any) => w.name)).to.deep.equal(['alpha'])
    expect(page.headers['x-total-count']).to.equal('2')
    const detail = await workerDto(b)
    expect(detail).to.include({ running_steps: 1 })
    expect(detail.recent_jobs).to.deep.equal([
      {
        job_id: jobId,
        workspace: 'default',
        task_name: 'one-step',
        job_status: 'running',
        step_name: 'only',
        step_status: 'running',
        started_at: detail.recent_jobs[0].started_at,
        completed_at: null,
      },
    ])
    expect(detail.recent_jobs[0].started_at).to.be.a('string')
    expect((await t.request().get('/api/workers/abc')).status).to.equal(400)
    expect(
      (await t.request().get('/api/workers/0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee')).status,
    ).to.equal(404)
    expect((await t.request().get('/api/workers?limit=0')).status).to.equal(400)
  })

  it('loses a silent worker: its step is retried with a _server line, and a heartbeat brings it back', async () => {
    const w = await registerWorker(t)
    const jobId = await execute(t, 'retried')
    await claim(t, w)
    const cancelled = await execute(t, 'one-step')
    await claim(t, w)
    await t.request().post(`/api/jobs/${cancelled}/cancel`).expect(202)
    await sql`UPDATE workers SET last_heartbeat = now() - interval '1 hour' WHERE id = ${w.id}`.execute(
      t.database.db,
    )
    // This sweep, or the server's own running every second, loses the worker.
    await (await t.app.ready).dispatch.sweeper.sweepOnce()
    const job = await waitForStep(t, jobId, 'ready')
    expect((await workerDto(w)).status).to.equal('lost')
    expect(job.steps[0]).to.include({ attempt: 2, worker_id: null })
    expect(job.steps[0].error_message).to.equal(`worker ${w.name} lost (no heartbeat for 600s)`)
    await waitForServerLine(
      t,
      jobId,
      `step only failed (attempt 1/3): worker ${w.name} lost (no heartbeat for 600s)`,
    )
    expect((await waitForJob(t, cancelled)).status).to.equal('cancelled')
    const hb = await workerPost(t, w, '/worker/heartbeat', {
      boot_id: 'b1',
      running: [{ job_id: jobId, step_name: 'only' }],
    })
    expect(hb.body).to.deep.include({
      status: 'active',
      stop: [{ job_id: jobId, step_name: 'only', reason: 'lease_lost' }],
    })
    // The retry waits for its delay, then goes to whichever worker claims it.
    const again = await claim(t, w, 10)
    expect(again.body).to.include({ job_id: jobId, attempt: 2 })
  })

  it('answers waiting claims with 204 when the server shuts down', async () => {
    const w = await registerWorker(t)
    const waiting = workerPost(t, w, '/worker/claim', { wait_secs: 20 })
    const pending = waiting.then((r) => r.status)
    const { steps: remoteSteps } = (await t.app.ready).workers
    await waitFor(() => remoteSteps.waitingClaims === 1, { what: 'the claim to wait' })
    remoteSteps.close()
    expect(await pending).to.equal(204)
    await noWork(w, 20)
  })
})
