import { sql, type Transaction } from 'kysely'
import { isTerminalJobStatus, type JobStatus } from '../../shared/statuses.ts'
import type { DB } from '../schema.ts'

/** The attempt a write belongs to: it lands only while that attempt still runs under its lease. */
export interface StepFence {
  readonly jobId: string
  readonly stepName: string
  readonly attempt: number
  readonly workerId: string
}

/** Why a fenced write did not land. */
export type FenceRefusal =
  | { readonly kind: 'no_job' }
  | { readonly kind: 'job_ended'; readonly status: JobStatus }
  | { readonly kind: 'lease_gone' }

/**
 * Locks a job row (FOR NO KEY UPDATE) and checks that what a step left behind (an artifact, a
 * state snapshot) may still be recorded: the job is active, and the attempt still runs on that
 * worker with a live lease. Null when it may.
 * Invariant: nothing is recorded for an attempt whose result would be refused (a late upload
 * from a worker presumed dead), nor for a job that has ended. The lock makes writes of one job
 * (their size sums) take turns and orders them against the job's end; it does not touch the
 * row's version (xmin), so an optimistic finish is not disturbed. Callers keep the transaction
 * short: the files are stored before it and deleted after it. Index: jobs pkey, unique
 * (job_id, step_name) on step_runs.
 */
export async function lockStepFence(
  trx: Transaction<DB>,
  f: StepFence,
): Promise<FenceRefusal | null> {
  const { rows } = await sql<{ status: JobStatus; live: boolean | null }>`
    SELECT j.status, (
      SELECT true FROM step_runs s
      WHERE s.job_id = j.id AND s.step_name = ${f.stepName} AND s.status = 'running'
        AND s.attempt = ${f.attempt} AND s.worker_id = ${f.workerId} AND s.lease_expires_at > now()
    ) AS live
    FROM jobs j WHERE j.id = ${f.jobId} FOR NO KEY UPDATE OF j`.execute(trx)
  const r = rows[0]
  if (!r) return { kind: 'no_job' }
  if (isTerminalJobStatus(r.status)) return { kind: 'job_ended', status: r.status }
  return r.live === true ? null : { kind: 'lease_gone' }
}
