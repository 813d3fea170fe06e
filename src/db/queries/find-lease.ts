import { sql, type Kysely } from 'kysely'
import type { LeaseState } from '../../workers/lease-chain.ts'
import type { StepStatus } from '../../shared/statuses.ts'
import type { DB } from '../schema.ts'

export interface StepLease extends LeaseState {
  readonly jobId: string
  readonly workspace: string
  readonly revision: string
}

/**
 * The lease state of one step, for deciding a remote worker's step call (workers/lease-chain.ts).
 * Read-only and unlocked: the decision is re-checked by the fenced write that applies the call
 * (advance-lease.ts, finish-step-attempt.ts), so a race costs a re-read, never a double apply.
 * `live` uses the database clock, the one all replicas share. Index: unique (job_id, step_name).
 */
export async function findStepLease(
  db: Kysely<DB>,
  jobId: string,
  stepName: string,
): Promise<StepLease | undefined> {
  const { rows } = await sql<{
    id: string
    job_id: string
    step_name: string
    status: StepStatus
    attempt: number
    worker_id: string | null
    lease_token: string | null
    prev_lease_token: string | null
    lease_seq: number
    lease_reply: unknown
    live: boolean | null
    stop_reason: string | null
    workspace: string
    revision: string
  }>`
    SELECT s.id, s.job_id, s.step_name, s.status, s.attempt, s.worker_id, s.lease_token,
      s.prev_lease_token, s.lease_seq, s.lease_reply, s.lease_expires_at > now() AS live,
      s.stop_reason, j.workspace, j.revision
    FROM step_runs s JOIN jobs j ON j.id = s.job_id
    WHERE s.job_id = ${jobId} AND s.step_name = ${stepName}`.execute(db)
  const r = rows[0]
  if (!r) return undefined
  return {
    stepId: r.id,
    jobId: r.job_id,
    stepName: r.step_name,
    status: r.status,
    attempt: r.attempt,
    workerId: r.worker_id,
    leaseToken: r.lease_token,
    prevLeaseToken: r.prev_lease_token,
    leaseSeq: r.lease_seq,
    leaseReply: r.lease_reply ?? null,
    live: r.live === true,
    stopReason: r.stop_reason,
    workspace: r.workspace,
    revision: r.revision,
  }
}
