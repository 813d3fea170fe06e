import { expect } from 'chai'
import { randomUUID } from 'node:crypto'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { buildTestApp, waitForJob, type TestApp } from '../../helpers/test-app.ts'
import {
  createReplyChecker,
  documentPath,
  routeTable,
  type OpenApiDocument,
} from '../../helpers/openapi-check.ts'

describe('GET /api/openapi.json', function () {
  let t: TestApp
  let doc: OpenApiDocument & Record<string, any>
  let checker: ReturnType<typeof createReplyChecker>

  before(async function () {
    this.timeout(30_000)
    t = await buildTestApp()
    const res = await t.request().get('/api/openapi.json').expect(200)
    expect(res.type).to.equal('application/json')
    doc = res.body
    checker = createReplyChecker(doc)
  })
  after(async () => {
    await t?.close()
  })

  /** Asserts the status, and the body against what the document says of that status. */
  async function documented(
    method: 'get' | 'post',
    pattern: string,
    path: string,
    status: number,
    body?: unknown,
  ) {
    const req = t.request()[method](path)
    const res = await (body === undefined ? req : req.send(body as object))
    expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).to.equal(status)
    expect(checker.check(method.toUpperCase(), pattern, res.status, res.body)).to.deep.equal([])
    return res.body
  }

  it('is an OpenAPI 3.1 document whose every schema compiles as JSON Schema 2020-12', () => {
    expect(doc.openapi).to.equal('3.1.0')
    expect(doc.info.version).to.be.a('string')
    const ajv = new Ajv2020({ strict: false })
    ajv.addFormat('date-time', true)
    let schemas = 0
    for (const [path, item] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(item)) {
        const media = [
          ...Object.values(op.responses as Record<string, any>).map((r) => r.content),
          op.requestBody?.content,
        ].flatMap((c) => Object.values((c ?? {}) as Record<string, any>))
        for (const m of media) {
          expect(
            () => ajv.compile({ ...m.schema, components: doc.components }),
            `${method} ${path}`,
          ).not.to.throw()
          schemas++
        }
      }
    expect(schemas).to.be.greaterThan(60)
  })

  it('documents every route the router serves, and nothing it does not', () => {
    const served = routeTable(t.app.router).map((r) => `${r.method} ${documentPath(r.pattern)}`)
    const inDocument = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`),
    )
    expect(served.length).to.be.greaterThan(50)
    expect(
      served.filter((r) => !inDocument.includes(r)),
      'served, not documented',
    ).to.deep.equal([])
    expect(
      inDocument.filter((r) => !served.includes(r)),
      'documented, not served',
    ).to.deep.equal([])
  })

  it('describes the query parameters and bodies the routes validate', () => {
    const list = doc.paths['/api/jobs']!.get
    const names = (list.parameters as Array<{ name: string; in: string }>).map((p) => p.name)
    expect(names).to.include.members(['workspace', 'task_name', 'status', 'limit', 'cursor'])
    const exec = doc.paths['/api/workspaces/{ws}/tasks/{task}/execute']!.post
    const body = exec.requestBody.content['application/json'].schema
    expect(body.additionalProperties).to.equal(false)
    expect(Object.keys(body.properties)).to.deep.equal(['input', 'source_job_id'])
    expect(exec.responses['4XX'].content['application/json'].schema).to.deep.equal({
      $ref: '#/components/schemas/Error',
    })
    expect(exec.responses['503'].headers).to.have.property('Retry-After')
  })

  it('matches the real replies of the main routes', async function () {
    this.timeout(20_000)
    await documented('get', '/api/workspaces', '/api/workspaces', 200)
    await documented('get', '/api/tasks', '/api/tasks', 200)
    await documented('get', '/api/workspaces/:ws/tasks', '/api/workspaces/default/tasks', 200)
    await documented(
      'get',
      '/api/workspaces/:ws/tasks/:task',
      '/api/workspaces/default/tasks/hello-world',
      200,
    )
    await documented('get', '/api/workspaces/:ws/triggers', '/api/workspaces/default/triggers', 200)
    const exec = '/api/workspaces/:ws/tasks/:task/execute'
    const { job_id: id } = await documented(
      'post',
      exec,
      '/api/workspaces/default/tasks/hello-world/execute',
      200,
      { input: { name: 'OpenAPI' } },
    )
    await waitForJob(t, id)
    await documented('get', '/api/jobs/:id', `/api/jobs/${id}`, 200)
    const jobs = await documented('get', '/api/jobs', '/api/jobs?workspace=default', 200)
    expect(jobs).to.have.length(1)
    await documented('get', '/api/jobs/:id/logs', `/api/jobs/${id}/logs`, 200)
    await documented('get', '/api/stats', '/api/stats', 200)
    await documented('get', '/api/config', '/api/config', 200)
    await documented('get', '/api/workers', '/api/workers', 200)
    await documented('get', '/healthz', '/healthz', 200)
    await documented('get', '/readyz', '/readyz', 200)
    await documented(
      'get',
      '/api/workspaces/:ws/tasks/:task/stats',
      '/api/workspaces/default/tasks/hello-world/stats',
      200,
    )
    // Errors: a bad input, an unknown job, a finished job, a bad query.
    await documented('post', exec, '/api/workspaces/default/tasks/hello-world/execute', 400, {
      input: { name: 3 },
    })
    await documented('get', '/api/jobs/:id', `/api/jobs/${randomUUID()}`, 404)
    await documented('post', '/api/jobs/:id/cancel', `/api/jobs/${id}/cancel`, 409)
    await documented('get', '/api/jobs', '/api/jobs?limit=x', 400)
  })

  it('refuses a reply that does not fit (the check is not vacuous)', () => {
    expect(checker.check('GET', '/api/jobs', 200, [{ job_id: 1 }])).to.not.deep.equal([])
    expect(checker.check('GET', '/api/jobs/:id', 404, { code: 'nope' })).to.not.deep.equal([])
  })
})
