import { sql, type Kysely } from 'kysely'
import type { DB } from '../schema.ts'

export interface LeaseKey {
  readonly jobId: string
  readonly stepName: string
  /**
   * The token the caller holds: the embedded worker fences on it; remote workers send none (their
   * token rotates with every step call), so for them the worker id is the fence.
   */
  readonly leaseToken: string | null
}

export interface ExtendedLease {
  readonly id: string
  readonly jobId: string
  readonly stepName: string
  readonly stopReason: string | null
  readonly leaseExpiresAt: Date
}

/**
 * Extends the leases a worker still holds to now + ttl. Only listed steps still `running` under
 * this worker (and token, when given) are touched, so a heartbeat can neither revive a lease the
 * sweeper ended nor race a claim. Returns the extended steps with any stop request (cancel,
 * timeout) recorded on them. Index: the unique (job_id, step_name).
 */
export async function extendLeases(
  db: Kysely<DB>,
  workerId: string,
  leases: ReadonlyArray<LeaseKey>,
  ttlSecs: number,
): Promise<ExtendedLease[]> {
  if (leases.length === 0) return []
  const { rows } = await sql<{
    id: string
    job_id: string
    step_name: string
    stop_reason: string | null
    lease_expires_at: Date
  }>`
    UPDATE step_runs s SET lease_expires_at = now() + make_interval(secs => ${ttlSecs})
    FROM unnest(
      ${leases.map((l) => l.jobId)}::uuid[],
      ${leases.map((l) => l.stepName)}::text[],
      ${leases.map((l) => l.leaseToken)}::text[]
    ) AS l(job_id, step_name, lease_token)
    WHERE s.job_id = l.job_id AND s.step_name = l.step_name
      AND s.worker_id = ${workerId} AND s.status = 'running'
      AND (l.lease_token IS NULL OR s.lease_token = l.lease_token)
    RETURNING s.id, s.job_id, s.step_name, s.stop_reason, s.lease_expires_at`.execute(db)
  return rows.map((r) => ({
    id: r.id,
    jobId: r.job_id,
    stepName: r.step_name,
    stopReason: r.stop_reason,
    leaseExpiresAt: r.lease_expires_at,
  }))
}
