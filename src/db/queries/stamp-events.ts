import { sql, type Kysely } from 'kysely'
import type { DB } from '../schema.ts'

/** Most rows one call stamps; the caller repeats while a call returns this many. */
export const STAMP_BATCH = 5000

/**
 * Events in commit order (ARCHITECTURE.md §6). Transactions insert job_events rows with their xid
 * and no id. This statement gives ids, in (xid, row_id) order, only to rows whose xid is below the
 * xmin of the current snapshot: every transaction at or above it may still be open, and an id
 * handed out past an open transaction would let a reader see n+1 before n. Ids come from the
 * job_event_ids sequence inside one statement, so a reader sees a whole batch or none of it.
 * One stamper at a time (the leader's sequencer); `id IS NULL` in the update keeps a stray second
 * stamper from overwriting ids.
 */
export async function stampEvents(db: Kysely<DB>, limit = STAMP_BATCH): Promise<number> {
  const res = await sql`
    WITH s AS MATERIALIZED (
      SELECT p.row_id, nextval('job_event_ids') AS id
      FROM (
        SELECT row_id FROM job_events
        WHERE id IS NULL AND xid < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY xid, row_id
        LIMIT ${limit}
      ) p
    )
    UPDATE job_events e SET id = s.id FROM s
    WHERE e.row_id = s.row_id AND e.id IS NULL`.execute(db)
  return Number(res.numAffectedRows ?? 0n)
}
