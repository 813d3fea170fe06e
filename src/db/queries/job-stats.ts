/**
 * Counts and durations for dashboards and Strøm clients: jobs per status (GET /api/stats) and
 * a task's durations over its last N completed jobs (GET /api/workspaces/{ws}/tasks/{t}/stats),
 * with the same figures per step. for_each instances are left out (their loop step counts).
 * Index: jobs_status_created for the counts, jobs_ws_task_created for a task's recent jobs.
 */
import { sql, type Kysely } from 'kysely'
import { JOB_STATUSES, type JobStatus } from '../../shared/statuses.ts'
import type { DB } from '../schema.ts'
import type { DurationStats, TaskStats } from '../../flow/job.ts'

export async function countJobsByStatus(
  db: Kysely<DB>,
  workspace?: string,
): Promise<Record<JobStatus, number>> {
  let q = db
    .selectFrom('jobs')
    .select(['status', sql<number>`count(*)::int`.as('n')])
    .groupBy('status')
  if (workspace !== undefined) q = q.where('workspace', '=', workspace)
  const rows = await q.execute()
  const out = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>
  for (const r of rows) out[r.status] = Number(r.n)
  return out
}

type Row = {
  sample_size: number
  avg_ms: number | null
  p50_ms: number | null
  p95_ms: number | null
  min_ms: number | null
  max_ms: number | null
}

function durations(r: Row | undefined): DurationStats {
  const n = (v: number | null | undefined) => (v === null || v === undefined ? null : Number(v))
  return {
    sampleSize: Number(r?.sample_size ?? 0),
    avgMs: n(r?.avg_ms),
    p50Ms: n(r?.p50_ms),
    p95Ms: n(r?.p95_ms),
    minMs: n(r?.min_ms),
    maxMs: n(r?.max_ms),
  }
}

const FIGURES = sql`count(*)::int AS sample_size,
  round(avg(ms))::float8 AS avg_ms,
  round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms))::float8 AS p50_ms,
  round(percentile_cont(0.95) WITHIN GROUP (ORDER BY ms))::float8 AS p95_ms,
  round(min(ms))::float8 AS min_ms,
  round(max(ms))::float8 AS max_ms`

/** Durations of a task's last `limit` completed jobs (started to completed) and of their steps. */
export async function taskDurationStats(
  db: Kysely<DB>,
  workspace: string,
  task: string,
  limit: number,
): Promise<TaskStats> {
  const { rows } = await sql<{ task: Row | null; recent: unknown; steps: unknown }>`
    WITH recent AS MATERIALIZED (
      SELECT id, completed_at,
        extract(epoch FROM completed_at - started_at) * 1000 AS ms
      FROM jobs
      WHERE workspace = ${workspace} AND task_name = ${task} AND status = 'completed'
        AND started_at IS NOT NULL AND completed_at IS NOT NULL
      ORDER BY created_at DESC, id DESC
      LIMIT ${limit}
    ), step_ms AS (
      SELECT s.step_name, extract(epoch FROM s.completed_at - coalesce(s.started_at, s.claimed_at)) * 1000 AS ms
      FROM step_runs s JOIN recent r ON r.id = s.job_id
      WHERE s.status = 'completed' AND s.loop_source IS NULL AND s.completed_at IS NOT NULL
        AND coalesce(s.started_at, s.claimed_at) IS NOT NULL
    )
    SELECT
      (SELECT row_to_json(t) FROM (SELECT ${FIGURES} FROM recent) t) AS task,
      (SELECT coalesce(json_agg(json_build_object('job_id', id, 'ms', round(ms), 'completed_at', completed_at)
                                ORDER BY completed_at DESC), '[]'::json)
         FROM (SELECT * FROM recent ORDER BY completed_at DESC LIMIT 20) x) AS recent,
      (SELECT coalesce(json_agg(s ORDER BY s.step_name), '[]'::json)
         FROM (SELECT step_name, ${FIGURES} FROM step_ms GROUP BY step_name) s) AS steps
  `.execute(db)
  const row = rows[0]
  const parse = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v)
  const figures = parse(row?.task) as Row | null
  const recent = (parse(row?.recent) ?? []) as Array<{
    job_id: string
    ms: number
    completed_at: string
  }>
  const steps = (parse(row?.steps) ?? []) as Array<Row & { step_name: string }>
  return {
    task: {
      ...durations(figures ?? undefined),
      recent: recent.map((r) => ({
        jobId: r.job_id,
        durationMs: Number(r.ms),
        completedAt: new Date(r.completed_at),
      })),
    },
    steps: steps.map((s) => ({ stepName: s.step_name, ...durations(s) })),
  }
}
