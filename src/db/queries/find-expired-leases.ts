import { sql, type Kysely } from 'kysely'
import type { DB } from '../schema.ts'

export interface ExpiredLease {
  readonly stepId: string
  readonly jobId: string
  readonly stepName: string
  readonly workerId: string | null
  readonly leaseToken: string | null
  readonly reason: 'expired' | 'overdue'
}

/**
 * Running steps whose lease expired (worker gone) or whose deadline passed (timeout + grace, for
 * workers that did not stop). Read-only: each is then ended by the orchestrator under the job
 * lock, fenced on its lease token, so two sweepers cannot end one attempt twice.
 * Index: step_runs_running_lease / step_runs_running_deadline (partial, status = 'running').
 */
export async function findExpiredLeases(db: Kysely<DB>, limit = 100): Promise<ExpiredLease[]> {
  const { rows } = await sql<{
    id: string
    job_id: string
    step_name: string
    worker_id: string | null
    lease_token: string | null
    overdue: boolean
  }>`
    SELECT id, job_id, step_name, worker_id, lease_token, (deadline_at < now()) AS overdue
    FROM step_runs
    WHERE status = 'running' AND (lease_expires_at < now() OR deadline_at < now())
    ORDER BY lease_expires_at
    LIMIT ${limit}`.execute(db)
  return rows.map((r) => ({
    stepId: r.id,
    jobId: r.job_id,
    stepName: r.step_name,
    workerId: r.worker_id,
    leaseToken: r.lease_token,
    reason: r.overdue ? 'overdue' : 'expired',
  }))
}
