/**
 * With the database gone, every route answers either without it (the workspaces, the OpenAPI
 * document, liveness, a request refused before any lookup) or with 503
 * `{"error", "code": "unavailable"}` and Retry-After (API.md §1.4); never a 500. /readyz says
 * `not_ready` with its own body (API.md §9). The SSE stream answers 503 when it resumes (it
 * needs the events table); live only, it opens and waits for the database to come back (last test).
 *
 * PGlite: the app's instance is closed. PostgreSQL: the app's database stops accepting
 * connections, its backends are terminated and it is renamed away, so every reconnect fails as a
 * real outage would (put back before the database is dropped).
 */
import { expect } from 'chai'
import { join } from 'node:path'
import { routeTable, type RouteEntry } from '../../helpers/openapi-check.ts'
import {
  EXAMPLE_WORKSPACE,
  FIXTURES,
  buildTestApp,
  execute,
  type TestApp,
} from '../../helpers/test-app.ts'
import { adminQuery } from '../../helpers/test-db.ts'

const ENROLLMENT_TOKEN = 'unavailable-enrollment-token-1'

/** Routes that answer from memory (the loaded workspaces, the config): a 2xx as usual. */
const WITHOUT_DATABASE = new Set([
  'GET /healthz',
  'GET /api/openapi.json',
  'GET /api/config',
  'GET /api/workspaces',
  'GET /api/tasks',
  'GET /api/workspaces/:ws/tasks',
  'POST /api/workspaces/:ws/refresh',
])

describe('every route with the database unreachable', function () {
  let t: TestApp
  let routes: RouteEntry[]
  let values: Record<string, string>
  let workerSecret: string
  let restore: () => Promise<void> = async () => undefined

  before(async function () {
    this.timeout(30_000)
    t = await buildTestApp({
      worker: false,
      workspaces: { default: EXAMPLE_WORKSPACE, hooks: join(FIXTURES, '../webhooks') },
      env: { WEIR__WORKER_TOKEN: ENROLLMENT_TOKEN },
    })
    routes = routeTable(t.app.router)
    const jobId = await execute(t, 'hello-world', { name: 'outage' })
    const reg = await t
      .request()
      .post('/worker/register')
      .set('Authorization', `Bearer ${ENROLLMENT_TOKEN}`)
      .send({ name: 'outage-worker', capabilities: ['script'], tags: [], max_concurrency: 1 })
      .expect(201)
    workerSecret = (reg.body as { worker_secret: string }).worker_secret
    const workerId = (reg.body as { worker_id: string }).worker_id
    values = {
      ws: 'default',
      task: 'hello-world',
      trigger: 'open',
      jobId,
      step: 'build-greeting',
      name: 'out.txt',
      scope: 'task',
      snapshotId: jobId,
      lib: 'lib',
      prefix: 'wrk_abc',
      workerId,
    }
    restore = await breakDatabase(t)
  })
  after(async () => {
    await restore()
    await t?.close().catch(() => undefined)
  })

  async function breakDatabase(app: TestApp): Promise<() => Promise<void>> {
    const name = app.database.name
    if (name === null) {
      await app.database.close()
      return async () => undefined
    }
    await adminQuery(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`)
    await adminQuery(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}'`,
    )
    await adminQuery(`ALTER DATABASE ${name} RENAME TO ${name}_away`)
    return async () => {
      await adminQuery(`ALTER DATABASE ${name}_away RENAME TO ${name}`)
      await adminQuery(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`)
    }
  }

  function pathOf(route: RouteEntry): string {
    return route.pattern.replace(/[:*](\w+)/g, (_, p: string) => {
      // `:id` is a worker's id under /api/workers, a job's elsewhere.
      if (p === 'id')
        return route.pattern.startsWith('/api/workers') ? values.workerId! : values.jobId!
      if (p === 'ws' && route.pattern.startsWith('/hooks/')) return 'hooks'
      return encodeURIComponent(values[p] ?? 'x')
    })
  }

  it('answers 503 unavailable with Retry-After, or without the database, never 500', async function () {
    this.timeout(30_000)
    const replies: string[] = []
    const unavailable: string[] = []
    for (const route of routes) {
      const key = `${route.method} ${route.pattern}`
      const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete'
      // The SSE stream never ends when it can start; the next test covers it.
      if (route.pattern === '/api/events') continue
      let req = t.request()[method](pathOf(route))
      if (route.pattern.startsWith('/worker/'))
        req = req.set('Authorization', `Bearer ${workerSecret}`)
      const res = await (method === 'get'
        ? req
        : req.send(route.pattern === '/hooks/:ws/:trigger' ? { service: 'web' } : {}))
      const body = res.body as { error?: unknown; code?: unknown; status?: unknown }
      replies.push(`${key} -> ${res.status} ${JSON.stringify(body).slice(0, 120)}`)
      if (res.status >= 500) {
        if (route.pattern === '/readyz') {
          expect(res.status, key).to.equal(503)
          expect(body.status, key).to.equal('not_ready')
          continue
        }
        expect(res.status, replies.at(-1)).to.equal(503)
        expect(body, key).to.deep.equal({
          error: 'the database cannot be reached right now; retry shortly',
          code: 'unavailable',
        })
        expect(res.headers['retry-after'], key).to.equal('2')
        unavailable.push(key)
      } else if (!WITHOUT_DATABASE.has(key)) {
        // A 4xx before any lookup is fine: nothing was asked of the database.
        expect(res.status, replies.at(-1)).to.be.within(400, 499)
        expect(body.error, key).to.be.a('string')
      }
    }
    // The routes that must ask the database for what was asked answer 503.
    expect(unavailable, replies.join('\n')).to.include.members([
      'GET /api/jobs',
      'GET /api/jobs/:id',
      'POST /api/workspaces/:ws/tasks/:task/execute',
      'POST /api/jobs/:id/cancel',
      'GET /api/workers',
      'GET /api/stats',
      'POST /worker/heartbeat',
      'POST /worker/claim',
    ])
    expect(unavailable.length, replies.join('\n')).to.be.greaterThan(25)
    if (process.env.SHOW_REPLIES) process.stdout.write(`${replies.join('\n')}\n`)
  })

  it('answers 503 to a resuming event stream, before its head is sent', async () => {
    const res = await t
      .request()
      .get('/api/events')
      .set('Last-Event-ID', '1')
      .timeout({ deadline: 5000 })
    expect(res.status).to.equal(503)
    expect(res.headers['retry-after']).to.equal('2')
    expect(res.body).to.include({ code: 'unavailable' })
  })
})
