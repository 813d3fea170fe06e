import { expect } from 'chai'
import { gzipSync } from 'node:zlib'
import { buildTestApp, type TestApp } from '../../helpers/test-app.ts'

describe('workspace, task and trigger routes', () => {
  let t: TestApp
  before(async function () {
    this.timeout(30000)
    t = await buildTestApp({ worker: false })
  })
  after(async () => {
    await t.close()
  })

  it('lists the example workspace with its counts', async () => {
    const res = await t.request().get('/api/workspaces').expect(200)
    expect(res.body).to.have.length(1)
    const [ws] = res.body
    expect(ws).to.include({
      name: 'default',
      tasks_count: 10,
      actions_count: 26,
      triggers_count: 2,
      error: null,
    })
    expect(ws.revision).to.match(/^[0-9a-f]{12}$/)
    expect(res.headers['x-request-id']).to.be.a('string')
  })

  it('lists tasks sorted by name with the seed fields', async () => {
    const res = await t.request().get('/api/workspaces/default/tasks').expect(200)
    const names = res.body.map((x: { name: string }) => x.name)
    expect(names).to.deep.equal([...names].sort())
    const hello = res.body.find((x: { name: string }) => x.name === 'hello-world')
    expect(hello).to.deep.equal({
      id: 'hello-world',
      name: 'hello-world',
      workspace: 'default',
      mode: 'distributed',
      has_triggers: false,
      display_name: 'Hello world',
      description: 'Greet someone, then shout the greeting',
    })
    const heartbeat = res.body.find((x: { name: string }) => x.name === 'heartbeat')
    expect(heartbeat).to.include({ has_triggers: true, folder: 'ops' })
  })

  it('shows a task with its input schema, flow and triggers with next_runs', async () => {
    const res = await t.request().get('/api/workspaces/default/tasks/hello-world').expect(200)
    expect(res.body.input).to.deep.equal({
      name: { type: 'string', description: 'Who should be greeted', default: 'World' },
    })
    expect(res.body.flow['shout-greeting']).to.deep.equal({
      action: 'shout-text',
      depends_on: ['build-greeting'],
      input: { text: '{{ build_greeting.output.greeting }}' },
    })
    expect(res.body.triggers).to.have.length(1)
    expect(res.body.triggers[0]).to.include({
      name: 'nightly-hello',
      enabled: false,
      timezone: 'Europe/Copenhagen',
    })
    expect(res.body.triggers[0].next_runs).to.deep.equal([])
  })

  it('computes five next_runs for a 6-field cron, in UTC, strictly in the future', async () => {
    const res = await t.request().get('/api/workspaces/default/triggers').expect(200)
    const beat = res.body.find((x: { name: string }) => x.name === 'heartbeat-every-10s')
    expect(beat).to.include({
      type: 'scheduler',
      cron: '*/10 * * * * *',
      timezone: 'UTC',
      task: 'heartbeat',
      enabled: true,
    })
    expect(beat.next_runs).to.have.length(5)
    const times = beat.next_runs.map((s: string) => Date.parse(s))
    expect(times[0]).to.be.greaterThan(Date.now() - 1000)
    for (let i = 1; i < 5; i++) expect(times[i] - times[i - 1]).to.equal(10_000)
    for (const s of beat.next_runs) expect(s).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:[0-5]0\.000Z$/)
    expect(beat).to.include({ last_fired_at: null, last_job_id: null })
  })

  it('answers 404 with the error envelope for unknown workspaces and tasks', async () => {
    const a = await t.request().get('/api/workspaces/nope/tasks').expect(404)
    expect(a.body).to.deep.equal({ error: "workspace 'nope' not found", code: 'not_found' })
    const b = await t.request().get('/api/workspaces/default/tasks/nope').expect(404)
    expect(b.body).to.deep.equal({
      error: "task 'nope' not found in workspace 'default'",
      code: 'not_found',
    })
    const c = await t.request().get('/api/nothing-here').expect(404)
    expect(c.body.code).to.equal('not_found')
  })

  it('answers 405 for a known path with the wrong method', async () => {
    const res = await t.request().delete('/api/workspaces').expect(405)
    expect(res.body.code).to.equal('method_not_allowed')
    expect(res.headers.allow).to.include('GET')
  })

  it('rejects malformed JSON, non-JSON bodies and malformed job ids with 4xx', async () => {
    const bad = await t
      .request()
      .post('/api/workspaces/default/tasks/hello-world/execute')
      .set('Content-Type', 'application/json')
      .send('{"input":')
    expect(bad.status).to.equal(400)
    expect(bad.body.code).to.equal('bad_request')
    expect(bad.body.error).to.match(/malformed JSON/)
    const text = await t
      .request()
      .post('/api/workspaces/default/tasks/hello-world/execute')
      .set('Content-Type', 'text/plain')
      .send('hi')
    expect(text.status).to.equal(415)
    expect(text.body.code).to.equal('unsupported_media_type')
    const id = await t.request().get('/api/jobs/abc').expect(400)
    expect(id.body).to.deep.equal({
      error: "invalid job id 'abc'",
      code: 'bad_request',
      field: 'job_id',
    })
  })

  it('answers 400 when the body does not decode as its Content-Encoding, 415 for an unknown one', async () => {
    // Found by fuzz.test.ts: zlib's errors carry no status, so these were 500s.
    for (const encoding of ['gzip', 'deflate', 'br']) {
      const res = await t
        .request()
        .post('/api/workspaces/default/refresh')
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', encoding)
        .send('{}')
      expect(res.status, encoding).to.equal(400)
      expect(res.body).to.include({ code: 'bad_request', field: 'body' })
      expect(res.body.error).to.match(
        new RegExp(`^request body could not be decoded as Content-Encoding '${encoding}': `),
      )
    }
    const unknown = await t
      .request()
      .post('/api/workspaces/default/refresh')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'bogus')
      .send('{}')
    expect(unknown.status).to.equal(415)
    expect(unknown.body).to.deep.equal({
      error:
        "Content-Encoding 'bogus' is not supported: send the body as is, or with gzip, deflate or br",
      code: 'unsupported_media_type',
      field: 'body',
    })
    const gzipped = await t
      .request()
      .post('/api/workspaces/default/refresh')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      // Sent as the bytes given (superagent would JSON-encode a Buffer).
      .serialize((body: unknown) => body as string)
      .send(gzipSync('{}'))
    expect(gzipped.status).to.equal(200)
  })

  it('rejects a body over 1 MiB with 413', async () => {
    const big = JSON.stringify({ input: { name: 'x'.repeat(1_100_000) } })
    const res = await t
      .request()
      .post('/api/workspaces/default/tasks/hello-world/execute')
      .set('Content-Type', 'application/json')
      .send(big)
    expect(res.status).to.equal(413)
    expect(res.body.code).to.equal('payload_too_large')
  })

  it('reloads a workspace on refresh and returns it', async () => {
    const res = await t.request().post('/api/workspaces/default/refresh').expect(200)
    expect(res.body).to.include({ name: 'default', error: null })
    await t.request().post('/api/workspaces/nope/refresh').expect(404)
  })

  it('reports health and readiness', async () => {
    expect((await t.request().get('/healthz').expect(200)).body).to.deep.equal({ status: 'ok' })
    const ready = await t.request().get('/readyz').expect(200)
    expect(ready.body).to.deep.equal({
      status: 'ready',
      checks: { database: 'ok', migrations: 'ok', workspaces: 'ok' },
    })
  })
})
