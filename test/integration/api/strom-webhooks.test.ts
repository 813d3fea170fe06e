import { expect } from 'chai'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { signWeir } from '../../../src/api/webhook-signature.ts'
import { buildTestApp, type TestApp } from '../../helpers/test-app.ts'

const FIXTURE = resolve(import.meta.dirname, '../../fixtures/strom-webhooks')
const TOKEN = 'strom-token-31d8'
const SECRET_ERROR = { error: 'invalid or missing webhook secret', code: 'unauthorized' }

describe("Strøm's /hooks/{name} webhooks", () => {
  let t: TestApp
  let root: string

  before(async function () {
    this.timeout(30000)
    // A copy, so force_refresh can be shown by editing the files under the running server.
    root = mkdtempSync(join(tmpdir(), 'weir-strom-hooks-'))
    cpSync(FIXTURE, root, { recursive: true })
    t = await buildTestApp({
      workspaces: { a: join(root, 'a'), b: join(root, 'b') },
      worker: false,
    })
  })
  after(async () => {
    await t?.close()
    rmSync(root, { recursive: true, force: true })
  })
  beforeEach(async () => {
    await t.reset()
  })

  async function jobOf(id: string): Promise<Record<string, any>> {
    return (await t.request().get(`/api/jobs/${id}`).expect(200)).body as Record<string, any>
  }

  async function webhookJobs(): Promise<unknown[]> {
    const res = await t.request().get('/api/jobs?source_type=webhook').expect(200)
    return res.body as unknown[]
  }

  it('POST with ?secret= creates a job whose input is the envelope over the trigger input', async () => {
    const res = await t
      .request()
      .post(`/hooks/deploy-hook?secret=${TOKEN}&ref=main`)
      .set('X-Custom', 'yes')
      .send({ service: 'api', nested: { n: 1 } })
      .expect(200)
    expect(res.body).to.include({
      workspace: 'a',
      trigger: 'deploy',
      task: 'notify',
      duplicate: false,
    })
    const job = await jobOf(res.body.job_id as string)
    expect(job).to.include({ source_type: 'webhook', source_id: 'a/deploy' })
    const input = job.input as Record<string, any>
    expect(input.body).to.deep.equal({ service: 'api', nested: { n: 1 } })
    expect(input.method).to.equal('POST')
    expect(input.query).to.deep.equal({ ref: 'main' })
    expect(input.headers['x-custom']).to.equal('yes')
    expect(input).to.include({ source: 'strom', channel: 'ops' })
  })

  it('GET with a bearer token works, and neither the token nor the secret is stored', async () => {
    const res = await t
      .request()
      .get('/hooks/deploy-hook?x=1')
      .set('Authorization', `Bearer ${TOKEN}`)
      .expect(200)
    const job = await jobOf(res.body.job_id as string)
    const input = job.input as Record<string, any>
    expect(input).to.include({ method: 'GET', body: null })
    expect(input.query).to.deep.equal({ x: '1' })
    expect(input.headers).to.not.have.property('authorization')
    expect(JSON.stringify(job)).to.not.include(TOKEN)
  })

  it('returns 401 for a wrong or missing secret and creates no job', async () => {
    const wrong = await t.request().post('/hooks/deploy-hook?secret=nope').send({}).expect(401)
    expect(wrong.body).to.include(SECRET_ERROR)
    const bearer = await t
      .request()
      .post('/hooks/deploy-hook')
      .set('Authorization', 'Bearer nope')
      .send({})
      .expect(401)
    expect(bearer.body).to.include(SECRET_ERROR)
    const none = await t.request().get('/hooks/deploy-hook').expect(401)
    expect(none.body).to.include(SECRET_ERROR)
    expect(await webhookJobs()).to.have.length(0)
  })

  it('serves a trigger without a secret, with no strict input validation', async () => {
    // `service` is required by the task: the Weir form would answer 400, Strøm's form does not check.
    const res = await t.request().post('/hooks/open-hook').send(['not', 'an', 'object']).expect(200)
    const input = (await jobOf(res.body.job_id as string)).input as Record<string, unknown>
    expect(input).to.deep.include({ body: ['not', 'an', 'object'], channel: 'ops' })
    expect(input).to.not.have.property('service')
  })

  it('returns 404 for an unknown or disabled name, 409 for a name two workspaces declare', async () => {
    const unknown = await t.request().post('/hooks/nope').send({}).expect(404)
    expect(unknown.body).to.deep.equal({ error: "webhook 'nope' not found", code: 'not_found' })
    const paused = await t.request().get('/hooks/paused-hook').expect(404)
    expect(paused.body).to.deep.equal({
      error: "webhook 'paused-hook' is disabled",
      code: 'not_found',
    })
    const clash = await t.request().post('/hooks/shared-hook').send({}).expect(409)
    expect(clash.body).to.deep.equal({
      error:
        "webhook name 'shared-hook' is declared in more than one workspace (a/shared, b/also-shared); call /hooks/{workspace}/{trigger} instead",
      code: 'conflict',
    })
    expect(await webhookJobs()).to.have.length(0)
  })

  it('returns 405 for other methods', async () => {
    const res = await t.request().put('/hooks/open-hook').send({}).expect(405)
    expect(res.body.code).to.equal('method_not_allowed')
    expect(res.headers.allow).to.include('GET').and.to.include('POST')
  })

  it('a named trigger keeps these semantics at /hooks/{ws}/{trigger}, which resolves clashes', async () => {
    const res = await t
      .request()
      .post(`/hooks/a/deploy?secret=${TOKEN}`)
      .send({ service: 'web' })
      .expect(200)
    expect(res.body).to.include({ workspace: 'a', trigger: 'deploy' })
    const input = (await jobOf(res.body.job_id as string)).input as Record<string, unknown>
    expect(input).to.deep.include({ body: { service: 'web' }, source: 'strom' })
    const body = JSON.stringify({ service: 'web' })
    const signed = await t
      .request()
      .post('/hooks/a/deploy')
      .set('Content-Type', 'application/json')
      .set(signWeir(TOKEN, body, Math.floor(Date.now() / 1000)))
      .send(body)
      .expect(401)
    expect(signed.body).to.include(SECRET_ERROR)
    const b = await t.request().post('/hooks/b/also-shared').send({}).expect(200)
    expect(b.body).to.include({ workspace: 'b', trigger: 'also-shared' })
  })

  it('force_refresh reloads the workspace before creating the job', async () => {
    const file = join(root, 'a', '.workflows', 'hooks.yaml')
    const original = readFileSync(file, 'utf8')
    try {
      writeFileSync(file, original.replace('stage: one', 'stage: two'))
      const res = await t.request().post('/hooks/refreshing-hook').send({}).expect(200)
      const job = await jobOf(res.body.job_id as string)
      expect(job.input).to.include({ stage: 'two' })
    } finally {
      writeFileSync(file, original)
      await t.app.registry.reload('a')
    }
  })
})
