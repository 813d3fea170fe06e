import type { Kysely } from 'kysely'
import type { DB } from '../schema.ts'

export interface StepAttemptKey {
  readonly jobId: string
  readonly stepName: string
}

export interface RunningAttempt extends StepAttemptKey {
  readonly attempt: number
  readonly workerId: string | null
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Which of these steps are running now, with their attempt and worker: the container sweep
 * (dispatch/container-sweep.ts) removes the containers whose attempt is not among them. Keys that
 * are not job ids (a label someone else set) match nothing. Reads only; index: the step_runs
 * primary key path through job_id.
 */
export async function findRunningAttempts(
  db: Kysely<DB>,
  keys: ReadonlyArray<StepAttemptKey>,
): Promise<RunningAttempt[]> {
  const jobIds = [...new Set(keys.map((k) => k.jobId).filter((id) => UUID_RE.test(id)))]
  if (jobIds.length === 0) return []
  const rows = await db
    .selectFrom('step_runs')
    .select(['job_id', 'step_name', 'attempt', 'worker_id'])
    .where('job_id', 'in', jobIds)
    .where('status', '=', 'running')
    .execute()
  return rows.map((r) => ({
    jobId: r.job_id,
    stepName: r.step_name,
    attempt: r.attempt,
    workerId: r.worker_id,
  }))
}
