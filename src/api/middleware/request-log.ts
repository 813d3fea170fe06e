/** One log line per request: method, path, status, duration; the access token never appears. */
import type { Context, Next } from 'koa'
import type { Logger } from '../../shared/logger.ts'
import { monotonicMs } from '../../shared/clock.ts'

const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics'])

export function requestLog(logger: Logger) {
  return async function logRequest(ctx: Context, next: Next): Promise<void> {
    const start = monotonicMs()
    try {
      await next()
    } finally {
      const fields = {
        requestId: (ctx.state as { requestId?: string }).requestId,
        method: ctx.method,
        path: ctx.path,
        status: ctx.status,
        durationMs: Math.round((monotonicMs() - start) * 100) / 100,
      }
      if (QUIET_PATHS.has(ctx.path)) logger.debug(fields, 'request')
      else logger.info(fields, 'request')
    }
  }
}
