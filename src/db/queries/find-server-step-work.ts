/**
 * What the sweeper finds for the steps the server runs itself (loops, task steps, approvals):
 * approvals past their deadline, task steps whose child job ended without the parent noticing (a
 * crash between the child's commit and the parent's move), and server-run steps whose retry
 * delay has passed. Read-only: each is then moved under its job's lock, fenced on the step's
 * status, so several sweepers at once are safe.
 */
import { sql, type Kysely } from 'kysely'
import type { DB } from '../schema.ts'

/** Suspended approvals past their deadline. Index: step_runs_suspended_deadline (partial). */
export async function findOverdueApprovals(
  db: Kysely<DB>,
  limit = 100,
): Promise<Array<{ jobId: string; stepId: string }>> {
  const rows = await db
    .selectFrom('step_runs')
    .select(['id', 'job_id'])
    .where('status', '=', 'suspended')
    .where('deadline_at', '<', sql<Date>`now()`)
    .orderBy('deadline_at')
    .limit(limit)
    .execute()
  return rows.map((r) => ({ jobId: r.job_id, stepId: r.id }))
}

/**
 * Running task steps whose child job is terminal (normally moved at once by the child's end).
 * Only children that ended over `graceSecs` ago count, so the usual after-commit move wins.
 * Index: step_runs_child (partial).
 */
export async function findEndedChildren(
  db: Kysely<DB>,
  graceSecs = 5,
  limit = 100,
): Promise<Array<{ parentJobId: string; childJobId: string }>> {
  const { rows } = await sql<{ job_id: string; child_job_id: string }>`
    SELECT s.job_id, s.child_job_id
    FROM step_runs s JOIN jobs c ON c.id = s.child_job_id
    WHERE s.child_job_id IS NOT NULL AND s.status = 'running'
      AND c.status IN ('completed', 'failed', 'cancelled')
      AND c.completed_at < now() - make_interval(secs => ${graceSecs})
    LIMIT ${limit}`.execute(db)
  return rows.map((r) => ({ parentJobId: r.job_id, childJobId: r.child_job_id }))
}

/**
 * Jobs with a ready server-run step (`type: task` / `type: approval`) whose retry delay has
 * passed; workers never claim these. Index: step_runs_ready (partial, status = 'ready').
 */
export async function findDueServerSteps(db: Kysely<DB>, limit = 100): Promise<string[]> {
  const rows = await db
    .selectFrom('step_runs')
    .select('job_id')
    .distinct()
    .where('status', '=', 'ready')
    .where('ready_at', '<=', sql<Date>`now()`)
    .where('action_type', 'in', ['task', 'approval'])
    .limit(limit)
    .execute()
  return rows.map((r) => r.job_id)
}
