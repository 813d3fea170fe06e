/**
 * What a finish needs when it may move nothing else (big jobs: a loop's instances, a wide
 * fan-out): the job, its row version, the finishing step, and whether its end could move another
 * step or the job. One statement that reads a few rows instead of every step of the job, which
 * made each finish of a 1,000-instance loop read 1,000 rows.
 *
 * The end moves nothing else when no pending step depends on the step, and something else of the
 * job (for a loop instance: another instance of its loop) is still open. The caller writes with
 * finishStepAttempt fenced on `version`: every writer of a job's steps writes the job row, so any
 * change since this read makes the write a conflict, and the caller decides again from a full
 * read. Index: step_runs (job_id, step_name) (its unique key).
 */
import { sql, type Kysely } from 'kysely'
import type { Job, StepRun } from '../../flow/job.ts'
import { toJob, toStepRun } from '../repositories/job.repository.ts'
import type { DB, JobRow, StepRunRow } from '../schema.ts'

export interface QuietFinishContext {
  readonly job: Job
  readonly step: StepRun
  readonly version: string
  /** True when the step's end moves nothing but the step itself. */
  readonly quiet: boolean
}

export async function readQuietFinish(
  db: Kysely<DB>,
  jobId: string,
  stepId: string,
): Promise<QuietFinishContext | undefined> {
  const { rows } = await sql<{
    job: JobRow
    version: string
    step: StepRunRow
    dependants: boolean
    others_open: boolean
  }>`
    SELECT row_to_json(j) AS job, j.xmin::text AS version, row_to_json(s) AS step,
      EXISTS (SELECT 1 FROM step_runs d WHERE d.job_id = j.id AND d.status = 'pending'
        AND d.depends_on ? s.step_name) AS dependants,
      EXISTS (SELECT 1 FROM step_runs o WHERE o.job_id = j.id AND o.id <> s.id
        AND o.status NOT IN ('completed', 'failed', 'skipped', 'cancelled')
        AND (s.loop_source IS NULL OR o.loop_source = s.loop_source)) AS others_open
    FROM jobs j JOIN step_runs s ON s.job_id = j.id
    WHERE j.id = ${jobId} AND s.id = ${stepId}`.execute(db)
  const r = rows[0]
  if (!r) return undefined
  return {
    job: toJob(datesOf(r.job, JOB_DATES)),
    step: toStepRun(datesOf(r.step, STEP_DATES)),
    version: r.version,
    quiet: !r.dependants && r.others_open,
  }
}

const JOB_DATES = ['cancel_requested_at', 'timeout_at', 'created_at', 'started_at', 'completed_at']
const STEP_DATES = [
  'ready_at',
  'lease_expires_at',
  'deadline_at',
  'claimed_at',
  'started_at',
  'completed_at',
  'suspended_at',
]

/** row_to_json leaves timestamps as strings. */
function datesOf<T>(row: T, keys: ReadonlyArray<string>): T {
  const out: Record<string, unknown> = { ...(row as Record<string, unknown>) }
  for (const k of keys) out[k] = typeof out[k] === 'string' ? new Date(out[k]) : (out[k] ?? null)
  return out as T
}
