import { resolve } from 'node:path'
import { expect } from 'chai'
import { signGithub, signWeir } from '../../../src/api/webhook-signature.ts'
import { buildTestApp, type TestApp } from '../../helpers/test-app.ts'

const WORKSPACE = resolve(import.meta.dirname, '../../fixtures/webhooks')
const KEY = 'hook-test-key-5f1c'
const SIGNATURE_ERROR = {
  error: 'invalid or missing webhook signature',
  code: 'unauthorized',
}

function nowSecs(): number {
  return Math.floor(Date.now() / 1000)
}

describe('webhook routes', () => {
  let t: TestApp
  before(async function () {
    this.timeout(30000)
    t = await buildTestApp({ workspaces: { hooks: WORKSPACE }, worker: false })
  })
  after(async () => {
    await t.close()
  })
  beforeEach(async () => {
    await t.reset()
  })

  function postSigned(path: string, body: string, extra: Record<string, string> = {}) {
    return t
      .request()
      .post(path)
      .set('Content-Type', 'application/json')
      .set(signWeir(KEY, body, nowSecs()))
      .set(extra)
      .send(body)
  }

  async function webhookJobs(): Promise<Array<Record<string, unknown>>> {
    const res = await t.request().get('/api/jobs?source_type=webhook').expect(200)
    return res.body as Array<Record<string, unknown>>
  }

  it('creates a job from a valid Weir signature, with input from the body', async () => {
    const body = JSON.stringify({ service: 'api', replicas: 3, other: 'ignored' })
    const res = await postSigned('/hooks/hooks/signed', body).expect(200)
    expect(res.body).to.include({
      workspace: 'hooks',
      trigger: 'signed',
      task: 'deploy',
      duplicate: false,
    })
    expect(res.body.job_id).to.be.a('string')
    const job = await t.request().get(`/api/jobs/${res.body.job_id}`).expect(200)
    expect(job.body).to.include({ source_type: 'webhook', source_id: 'hooks/signed' })
    expect(job.body.input).to.deep.equal({
      service: 'api',
      replicas: 3,
      dry_run: false,
      ref: 'from-trigger',
    })
  })

  it('renders the trigger input from the payload and converts query parameters', async () => {
    const body = JSON.stringify({ head: 'feature-x' })
    const res = await postSigned(
      '/hooks/hooks/signed?service=web&replicas=2&dry_run=true',
      body,
    ).expect(200)
    const job = await t.request().get(`/api/jobs/${res.body.job_id}`).expect(200)
    expect(job.body.input).to.deep.equal({
      service: 'web',
      replicas: 2,
      dry_run: true,
      ref: 'feature-x',
    })
  })

  it('accepts a GitHub signature over the raw body', async () => {
    const body = JSON.stringify({ service: 'gh' })
    const res = await t
      .request()
      .post('/hooks/hooks/signed')
      .set('Content-Type', 'application/json')
      .set('X-Hub-Signature-256', signGithub(KEY, body))
      .send(body)
      .expect(200)
    expect(res.body).to.include({ trigger: 'signed', duplicate: false })
  })

  it('returns 401 for a bad signature and creates no job', async () => {
    const body = JSON.stringify({ service: 'api' })
    const res = await t
      .request()
      .post('/hooks/hooks/signed')
      .set('Content-Type', 'application/json')
      .set('X-Hub-Signature-256', signGithub('wrong-key', body))
      .send(body)
      .expect(401)
    expect(res.body).to.include(SIGNATURE_ERROR)
    expect(await webhookJobs()).to.have.length(0)
  })

  it('returns 401 when the signature is missing', async () => {
    const res = await t.request().post('/hooks/hooks/signed').send({ service: 'api' }).expect(401)
    expect(res.body).to.include(SIGNATURE_ERROR)
  })

  it('returns 401 for a correctly signed but stale Weir timestamp', async () => {
    const body = JSON.stringify({ service: 'api' })
    const res = await t
      .request()
      .post('/hooks/hooks/signed')
      .set('Content-Type', 'application/json')
      .set(signWeir(KEY, body, nowSecs() - 1000))
      .send(body)
      .expect(401)
    expect(res.body).to.include(SIGNATURE_ERROR)
  })

  it('answers a replayed delivery id with the first job and creates no second job', async () => {
    const body = JSON.stringify({ service: 'api' })
    const first = await postSigned('/hooks/hooks/signed', body, {
      'X-GitHub-Delivery': 'd-1',
    }).expect(200)
    const again = await postSigned('/hooks/hooks/signed', body, {
      'X-GitHub-Delivery': 'd-1',
    }).expect(200)
    expect(first.body.duplicate).to.equal(false)
    expect(again.body).to.include({ job_id: first.body.job_id, duplicate: true })
    expect(await webhookJobs()).to.have.length(1)
  })

  it('serves an unsigned trigger and applies its input', async () => {
    const res = await t.request().post('/hooks/hooks/open').send({ service: 'api' }).expect(200)
    const job = await t.request().get(`/api/jobs/${res.body.job_id}`).expect(200)
    expect(job.body.input).to.include({ service: 'api', dry_run: true })
    expect(job.body.source_id).to.equal('hooks/open')
  })

  it('returns 404 for an unknown trigger, a disabled one and an unknown workspace', async () => {
    const unknown = await t.request().post('/hooks/hooks/nope').send({}).expect(404)
    expect(unknown.body).to.include({
      error: "webhook trigger 'nope' not found in workspace 'hooks'",
      code: 'not_found',
    })
    const off = await t.request().post('/hooks/hooks/off').send({}).expect(404)
    expect(off.body).to.include({
      error: "webhook trigger 'off' in workspace 'hooks' is disabled",
      code: 'not_found',
    })
    const ws = await t.request().post('/hooks/missing/signed').send({}).expect(404)
    expect(ws.body.code).to.equal('not_found')
  })

  it('returns 405 for GET', async () => {
    const res = await t.request().get('/hooks/hooks/open').expect(405)
    expect(res.body.code).to.equal('method_not_allowed')
    expect(res.headers.allow).to.include('POST')
  })

  it('returns 400 naming the field for bad input', async () => {
    const res = await t
      .request()
      .post('/hooks/hooks/open')
      .send({ service: 'api', replicas: 'three' })
      .expect(400)
    expect(res.body).to.include({
      error: 'invalid input: input.replicas: expected integer, got string',
      code: 'validation_failed',
      field: 'input.replicas',
    })
  })

  it('returns 400 for a missing required field', async () => {
    const res = await t.request().post('/hooks/hooks/open').send({}).expect(400)
    expect(res.body).to.include({ code: 'validation_failed', field: 'input.service' })
  })

  it('returns 413 for a body over 1 MiB', async () => {
    const body = JSON.stringify({ service: 'x'.repeat(1024 * 1024 + 1) })
    const res = await t
      .request()
      .post('/hooks/hooks/open')
      .set('Content-Type', 'application/json')
      .send(body)
      .expect(413)
    expect(res.body.code).to.equal('payload_too_large')
  })
})
