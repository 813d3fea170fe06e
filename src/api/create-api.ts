/** Builds the Koa application: middleware order lives here (errors first). */
import Koa from 'koa'
import Router from '@koa/router'
import { AppError, NotFoundError } from '../shared/errors.ts'
import type { ApiDeps } from './api-deps.ts'
import { authMiddleware } from './middleware/auth.ts'
import { errorHandler } from './middleware/error-handler.ts'
import { httpMetrics } from './middleware/http-metrics.ts'
import { jsonBody } from './middleware/json-body.ts'
import { requestId } from './middleware/request-id.ts'
import { requestLog } from './middleware/request-log.ts'
import { storableInput } from './middleware/storable-input.ts'
import { healthRoutes } from './routes/health.routes.ts'
import { metricsRoutes } from './routes/metrics.routes.ts'
import { workspaceRoutes } from './routes/workspaces.routes.ts'
import { executeRoutes } from './routes/execute.ts'
import { jobRoutes } from './routes/jobs.routes.ts'
import { logRoutes } from './routes/logs.routes.ts'
import { eventRoutes } from './routes/events.routes.ts'
import { webhookRoutes } from './routes/webhooks.routes.ts'
import { workerProtocolRoutes } from './routes/worker-protocol.routes.ts'
import { workerStepRoutes } from './routes/worker-steps.routes.ts'
import { workerRoutes } from './routes/workers.routes.ts'
import { authRoutes } from './routes/auth.routes.ts'
import { userRoutes } from './routes/users.routes.ts'
import { auditRoutes } from './routes/audit.routes.ts'
import { statsRoutes } from './routes/stats.routes.ts'
import { openApiRoutes } from './routes/openapi.routes.ts'
import { artifactRoutes } from './routes/artifacts.routes.ts'
import { stateRoutes } from './routes/state.routes.ts'
import { workerFileRoutes } from './routes/worker-files.routes.ts'
import { workerArchiveRoutes } from './routes/worker-archives.routes.ts'

export type RouteRegistrar = (router: Router, deps: ApiDeps) => void

export const ROUTES: ReadonlyArray<RouteRegistrar> = [
  healthRoutes,
  metricsRoutes,
  workspaceRoutes,
  executeRoutes,
  jobRoutes,
  logRoutes,
  eventRoutes,
  webhookRoutes,
  workerRoutes,
  workerProtocolRoutes,
  workerStepRoutes,
  workerFileRoutes,
  workerArchiveRoutes,
  artifactRoutes,
  stateRoutes,
  authRoutes,
  userRoutes,
  auditRoutes,
  statsRoutes,
  openApiRoutes,
]

export function createApi(
  deps: ApiDeps,
  extraRoutes: ReadonlyArray<RouteRegistrar> = [],
  /** The web UI (middleware/web-ui.ts): non-API GETs; it leaves every API path alone. */
  ui?: Koa.Middleware,
): { app: Koa; router: Router } {
  const app = new Koa({ proxy: false })
  app.silent = true
  const router = new Router()
  for (const register of [...ROUTES, ...extraRoutes]) register(router, deps)

  app.use(requestId)
  app.use(httpMetrics(deps.metrics))
  app.use(errorHandler(deps.logger))
  app.use(requestLog(deps.logger))
  if (ui) app.use(ui)
  // Every /api request is authenticated here (when auth is configured), before body parsing.
  if (deps.auth) app.use(authMiddleware(deps.auth))
  app.use(jsonBody)
  // Text PostgreSQL cannot store is refused here, once for every route (path, query, headers, body).
  app.use(storableInput(router))
  app.use(async (ctx, next) => {
    await next()
    if (ctx.body !== undefined && ctx.body !== null) return
    if (ctx.status === 404) throw new NotFoundError(`no route for ${ctx.method} ${ctx.path}`)
    if (ctx.status === 405) {
      throw new AppError(
        `method ${ctx.method} not allowed for ${ctx.path} (allowed: ${ctx.response.get('Allow')})`,
        {
          code: 'method_not_allowed',
          status: 405,
        },
      )
    }
    if (ctx.status === 501) {
      throw new AppError(`method ${ctx.method} not implemented`, {
        code: 'not_implemented',
        status: 501,
      })
    }
  })
  app.use(router.routes())
  app.use(router.allowedMethods())
  return { app, router }
}
