/**
 * The gauges of GET /metrics in one round trip: active jobs by status (the jobs_active index),
 * ready steps (the step_runs_ready partial index) and workers by status.
 */
import { sql, type Kysely } from 'kysely'
import type { DB } from '../schema.ts'

export interface MetricsCounts {
  readonly jobs: Record<string, number>
  readonly workers: Record<string, number>
  readonly stepsReady: number
}

export async function readMetricsCounts(db: Kysely<DB>): Promise<MetricsCounts> {
  const { rows } = await sql<{
    jobs: Record<string, number>
    workers: Record<string, number>
    steps_ready: number
  }>`
    SELECT
      (SELECT coalesce(json_object_agg(status, n), '{}'::json)
         FROM (SELECT status, count(*)::int AS n FROM jobs
                WHERE status IN ('pending', 'running') GROUP BY status) j) AS jobs,
      (SELECT coalesce(json_object_agg(status, n), '{}'::json)
         FROM (SELECT status, count(*)::int AS n FROM workers GROUP BY status) w) AS workers,
      (SELECT count(*)::int FROM step_runs WHERE status = 'ready') AS steps_ready
  `.execute(db)
  const row = rows[0]
  return {
    jobs: { pending: 0, running: 0, ...row?.jobs },
    workers: { ...row?.workers },
    stepsReady: row?.steps_ready ?? 0,
  }
}
