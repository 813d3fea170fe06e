/** Liveness and readiness (API.md §9); these bodies do not use the error envelope. */
import type Router from '@koa/router'
import type { ApiDeps } from '../api-deps.ts'

export function healthRoutes(router: Router, deps: ApiDeps): void {
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' }
  })

  router.get('/readyz', async (ctx) => {
    const report = await deps.readiness()
    ctx.status = report.ready ? 200 : 503
    ctx.body = {
      status: report.ready ? 'ready' : report.shuttingDown ? 'shutting_down' : 'not_ready',
      checks: report.checks,
    }
  })
}
