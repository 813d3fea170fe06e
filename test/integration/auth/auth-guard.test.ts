import { expect } from 'chai'
import { waitFor } from '../../helpers/wait-for.ts'
import { createHash, randomUUID } from 'node:crypto'
import WebSocket from 'ws'
import { buildTestApp, execute, waitForJob, type TestApp } from '../../helpers/test-app.ts'
import { ADMIN, bearer, buildAuthTestApp, createApiKey, login } from '../../helpers/auth.ts'

/** Every route of the router as [method, concrete path], path parameters filled with dummies. */
function routeTable(t: TestApp): Array<[string, string]> {
  const out: Array<[string, string]> = []
  for (const layer of t.app.router.stack) {
    const path = String(layer.path).replace(/:(\w+)/g, (_m, name: string) =>
      name === 'id' || name === 'job_id' ? randomUUID() : name === 'prefix' ? 'weir_abcdefg' : 'x',
    )
    for (const method of layer.methods) if (method !== 'HEAD') out.push([method, path])
  }
  return out
}

const PUBLIC_API = [
  'POST /api/auth/login',
  'POST /api/auth/refresh',
  'GET /api/openapi.json',
  'GET /api/config',
]

/** Opens a WebSocket; resolves with the HTTP status of a refused upgrade, or 101 and the messages. */
function connect(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string; messages: any[] }>((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    const messages: any[] = []
    ws.on('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (d: Buffer) => (body += d.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, messages }))
    })
    ws.on('message', (d) => messages.push(JSON.parse(String(d))))
    ws.on('close', () => resolve({ status: 101, body: '', messages }))
    ws.on('error', (e) => {
      if (!String(e.message).includes('Unexpected server response')) reject(e)
    })
  })
}

describe('auth: every /api route is guarded', function () {
  this.timeout(60_000)
  let t: TestApp
  let base: string
  let admin: string

  before(async function () {
    this.timeout(120_000)
    t = await buildAuthTestApp()
    base = `127.0.0.1:${(await t.app.listen()).port}`
    admin = (await login(t, ADMIN.email, ADMIN.password)).access_token
  })
  after(async () => {
    await t?.close()
  })

  it('tells a client before login that it must sign in (GET /api/config)', async () => {
    const res = await t.request().get('/api/config').expect(200)
    expect(res.body).to.include({ auth_required: true, has_internal_auth: true })
  })

  it('answers 401 on every /api route of the route table without a token or with a bad one', async () => {
    const routes = routeTable(t)
    const apiRoutes = routes.filter(([, p]) => p.startsWith('/api'))
    expect(apiRoutes.length).to.be.greaterThan(15)
    const open: string[] = []
    for (const [method, path] of apiRoutes) {
      const name = `${method} ${path.replace(/[0-9a-f-]{36}/, ':id')}`
      const res = await t.request()[method.toLowerCase() as 'get'](path).send()
      if (PUBLIC_API.some((p) => name.startsWith(p))) {
        open.push(name)
        expect(res.status, name).to.not.equal(401)
        continue
      }
      expect(res.status, name).to.equal(401)
      expect(res.body.code, name).to.equal('unauthorized')
      expect(res.body.error, name).to.be.a('string')
      expect(res.headers['www-authenticate'], name).to.match(/^Bearer/)
      const bad = await t.request()[method.toLowerCase() as 'get'](path).set(bearer('nope')).send()
      expect(bad.status, `${name} with a bad token`).to.equal(401)
    }
    expect(open.sort()).to.deep.equal(
      PUBLIC_API.filter((p) => routes.some(([m, path]) => `${m} ${path}` === p)).sort(),
    )
  })

  it('leaves the operations routes public', async () => {
    await t.request().get('/healthz').expect(200)
    const ready = await t.request().get('/readyz')
    expect(ready.status).to.not.equal(401)
  })

  it('guards /api however the path is spelled', async () => {
    for (const path of [
      '/API/jobs',
      '/api/jobs/',
      '/Api/Users',
      '//api/jobs',
      '/%61pi/jobs',
      '/api',
    ]) {
      const res = await t.request().get(path)
      expect(res.status, path).to.be.oneOf([401, 404])
      if (res.status === 404) expect(path).to.be.oneOf(['//api/jobs', '/%61pi/jobs'])
    }
  })

  it('refuses the WebSocket upgrade without a token, takes the header or ?access_token=', async () => {
    const id = await execute(t, 'hello-world', undefined).catch(() => null)
    expect(id, 'execute without a token must fail').to.equal(null)
    const res = await t
      .request()
      .post('/api/workspaces/default/tasks/hello-world/execute')
      .set(bearer(admin))
      .send({})
      .expect(200)
    const jobId = res.body.job_id as string
    const url = `ws://${base}/api/jobs/${jobId}/logs/stream`
    const refused = await connect(url)
    expect(refused.status).to.equal(401)
    expect(JSON.parse(refused.body).code).to.equal('unauthorized')
    expect((await connect(`${url}?access_token=nope`)).status).to.equal(401)
    const viaQuery = await connect(`${url}?access_token=${admin}`)
    expect(viaQuery.status).to.equal(101)
    expect(viaQuery.messages.at(-1).type).to.equal('end')
    const viaHeader = await connect(url, bearer(admin))
    expect(viaHeader.status).to.equal(101)
    expect(viaHeader.messages.at(-1).type).to.equal('end')
  })

  it('guards /api/events when it exists, accepting ?access_token=', async function () {
    if (!t.app.router.stack.some((l) => l.path === '/api/events')) this.skip()
    const plain = await fetch(`http://${base}/api/events`)
    expect(plain.status).to.equal(401)
    const ctl = new AbortController()
    const ok = await fetch(`http://${base}/api/events?access_token=${admin}`, {
      signal: ctl.signal,
    })
    expect(ok.status).to.equal(200)
    ctl.abort()
  })

  it('takes ?access_token= only on the streams', async () => {
    await t.request().get(`/api/jobs?access_token=${admin}`).expect(401)
  })

  it('never accepts a worker secret on /api, nor a user credential on /worker', async () => {
    const secret = `wws_${randomUUID().replace(/-/g, '')}`
    await t.database.db
      .insertInto('workers')
      .values({
        id: randomUUID(),
        name: 'remote-1',
        kind: 'remote',
        status: 'active',
        tags: '[]',
        capabilities: '["script"]',
        max_concurrency: 1,
        secret_hash: createHash('sha256').update(secret).digest('hex'),
      })
      .execute()
    const res = await t.request().get('/api/jobs').set(bearer(secret)).expect(401)
    expect(res.body.code).to.equal('unauthorized')
    const key = await createApiKey(t, admin)
    for (const token of [key, admin]) {
      const w = await t.request().post('/worker/heartbeat').set(bearer(token)).send({})
      expect(w.status, 'user credential on /worker').to.be.oneOf([401, 404])
    }
  })
})

describe('auth: without an auth section nothing changes', function () {
  this.timeout(60_000)
  let t: TestApp
  before(async function () {
    this.timeout(120_000)
    t = await buildTestApp()
  })
  after(async () => {
    await t?.close()
  })

  it('keeps /api open, jobs from the API, and login unavailable', async () => {
    const id = await execute(t, 'hello-world')
    const job = await waitForJob(t, id)
    expect(job.source_type).to.equal('api')
    expect(job.source_id).to.equal(null)
    await t.request().get('/api/users').expect(200)
    const login404 = await t
      .request()
      .post('/api/auth/login')
      .send({ email: 'a@b.c', password: 'x' })
    expect(login404.status).to.equal(404)
    expect(login404.body.error).to.match(/authentication is not configured/)
    const audit = await waitFor(
      async () => {
        const r = await t.request().get('/api/audit?action=job.executed').expect(200)
        return r.body.length > 0 && r
      },
      { what: 'the job.executed audit entry' },
    )
    expect(audit.body[0]).to.include({ actor_type: 'anonymous', actor: null, target_id: id })
  })
})
