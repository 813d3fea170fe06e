import { sql, type Kysely } from 'kysely'
import type { WorkerStatus } from '../../shared/statuses.ts'
import type { DB } from '../schema.ts'

export interface HeartbeatRecord {
  readonly status: WorkerStatus
  readonly previousStatus: WorkerStatus
  readonly previousBootId: string | null
  readonly previousHeartbeat: Date | null
}

/**
 * Records a heartbeat: last_heartbeat = now(), the boot id, and a `lost` worker comes back
 * (`draining` if a drain is pending, else `active`). Returns what was there before (the caller
 * compares boot ids), or undefined for a revoked or unknown worker. The row lock serialises
 * heartbeats of one worker, so two racing heartbeats with a new boot id see the change once;
 * against the sweeper's conditional `lost` update (mark-lost-workers.ts) either order is fine: a
 * worker marked lost just before is restored here. One row update per worker every
 * heartbeat_interval_secs. Index: primary key.
 */
export async function recordHeartbeat(
  db: Kysely<DB>,
  id: string,
  bootId: string,
): Promise<HeartbeatRecord | undefined> {
  const { rows } = await sql<{
    status: WorkerStatus
    prev_status: WorkerStatus
    prev_boot_id: string | null
    prev_heartbeat: Date | null
  }>`
    WITH old AS (
      SELECT id, status, boot_id, last_heartbeat FROM workers
      WHERE id = ${id} AND status <> 'revoked' FOR UPDATE
    )
    UPDATE workers w SET
      last_heartbeat = now(),
      boot_id = ${bootId},
      status = CASE WHEN w.status = 'lost'
        THEN (CASE WHEN w.draining_since IS NULL THEN 'active' ELSE 'draining' END)
        ELSE w.status END
    FROM old WHERE w.id = old.id
    RETURNING w.status, old.status AS prev_status, old.boot_id AS prev_boot_id,
      old.last_heartbeat AS prev_heartbeat`.execute(db)
  const r = rows[0]
  return r
    ? {
        status: r.status,
        previousStatus: r.prev_status,
        previousBootId: r.prev_boot_id,
        previousHeartbeat: r.prev_heartbeat,
      }
    : undefined
}
