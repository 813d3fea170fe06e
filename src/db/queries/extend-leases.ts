import { sql, type Kysely } from 'kysely'
import type { DB } from '../schema.ts'

/**
 * Extends the leases a worker still holds to now + ttl. Only listed (step, token) pairs that are
 * still current are touched, so a heartbeat can neither revive a lost lease nor race a claim.
 * Returns the extended steps with any stop request (cancel, timeout) recorded on them.
 */
export async function extendLeases(
  db: Kysely<DB>,
  workerId: string,
  leases: ReadonlyArray<{ stepId: string; leaseToken: string }>,
  ttlSecs: number,
): Promise<Array<{ id: string; stopReason: string | null }>> {
  if (leases.length === 0) return []
  const { rows } = await sql<{ id: string; stop_reason: string | null }>`
    UPDATE step_runs SET lease_expires_at = now() + make_interval(secs => ${ttlSecs})
    WHERE worker_id = ${workerId} AND status = 'running'
      AND (id, lease_token) IN (SELECT * FROM unnest(${leases.map((l) => l.stepId)}::uuid[], ${leases.map((l) => l.leaseToken)}::text[]))
    RETURNING id, stop_reason`.execute(db)
  return rows.map((r) => ({ id: r.id, stopReason: r.stop_reason }))
}
