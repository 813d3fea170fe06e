/**
 * What dashboards and Strøm clients read before anything else: job counts per status, a task's
 * durations, and the server's public settings (`GET /api/config`, answered without credentials).
 */
import type Router from '@koa/router'
import { z } from 'zod'
import { VERSION } from '../../shared/version.ts'
import type { ApiDeps } from '../api-deps.ts'
import { intParam } from '../query-params.ts'
import { parseQuery } from '../zod-issues.ts'

export const statsQuery = z.strictObject({ workspace: z.string().min(1).optional() })

/** `limit`: how many of the task's last completed jobs (1–500, default 50). */
export const taskStatsQuery = z.strictObject({
  limit: intParam('limit', 1)
    .transform((n) => Math.min(n, 500))
    .default(50),
})

export function statsRoutes(router: Router, deps: ApiDeps): void {
  router.get('/api/config', (ctx) => {
    ctx.body = {
      auth_required: deps.auth !== null,
      has_internal_auth: deps.auth !== null,
      acl_enabled: false,
      oidc_providers: [],
      version: VERSION,
    }
  })

  router.get('/api/stats', async (ctx) => {
    const q = parseQuery(statsQuery, ctx.query)
    if (q.workspace !== undefined) deps.registry.getEntry(q.workspace)
    ctx.body = await deps.stats.jobsByStatus(q.workspace)
  })

  router.get('/api/workspaces/:ws/tasks/:task/stats', async (ctx) => {
    const { workspace, task } = deps.registry.getTask(ctx.params.ws!, ctx.params.task!)
    const { limit } = parseQuery(taskStatsQuery, ctx.query)
    const s = await deps.stats.task(workspace.name, task.name, limit)
    const figures = (d: (typeof s.steps)[number] | typeof s.task) => ({
      sample_size: d.sampleSize,
      avg_ms: d.avgMs,
      p50_ms: d.p50Ms,
      p95_ms: d.p95Ms,
      min_ms: d.minMs,
      max_ms: d.maxMs,
    })
    ctx.body = {
      window: limit,
      task: {
        ...figures(s.task),
        recent: s.task.recent.map((r) => ({
          job_id: r.jobId,
          duration_ms: r.durationMs,
          completed_at: r.completedAt.toISOString(),
        })),
      },
      steps: s.steps.map((st) => ({ step_name: st.stepName, ...figures(st) })),
    }
  })
}
