/** Liveness and readiness (API.md §9); these bodies do not use the error envelope. */
import type Router from '@koa/router'
import type { Context, Middleware } from 'koa'
import type { ApiDeps, ReadinessReport } from '../api-deps.ts'

function healthz(ctx: Context): void {
  ctx.body = { status: 'ok' }
}

async function readyz(ctx: Context, readiness: () => Promise<ReadinessReport>): Promise<void> {
  const report = await readiness()
  ctx.status = report.ready ? 200 : 503
  ctx.body = {
    status: report.ready ? 'ready' : report.shuttingDown ? 'shutting_down' : 'not_ready',
    checks: report.checks,
  }
}

export function healthRoutes(router: Router, deps: ApiDeps): void {
  router.get('/healthz', healthz)
  router.get('/readyz', (ctx) => readyz(ctx, deps.readiness))
}

/** The same two routes for the readiness gate, which answers before the API exists. */
export function healthMiddleware(readiness: () => Promise<ReadinessReport>): Middleware {
  return async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === '/healthz') healthz(ctx)
    else if (ctx.method === 'GET' && ctx.path === '/readyz') await readyz(ctx, readiness)
    else await next()
  }
}
