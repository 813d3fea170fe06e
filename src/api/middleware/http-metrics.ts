/** Counts and times every request by method, route pattern (never the raw path) and status. */
import type { Context, Next } from 'koa'
import type { Metrics } from '../../metrics/metrics.ts'
import { monotonicMs } from '../../shared/clock.ts'

export function httpMetrics(metrics: Metrics) {
  return async function countRequest(ctx: Context, next: Next): Promise<void> {
    const start = monotonicMs()
    try {
      await next()
    } finally {
      const route = (ctx as Context & { _matchedRoute?: unknown })._matchedRoute
      metrics.observeRequest(
        ctx.method,
        typeof route === 'string' ? route : 'unmatched',
        ctx.status,
        (monotonicMs() - start) / 1000,
      )
    }
  }
}
