import { sql, type Kysely } from 'kysely'
import type { DB } from '../schema.ts'

/**
 * Marks remote workers with no heartbeat for `lostAfterSecs` as `lost` and returns them; the
 * sweeper then ends their leases. Conditional on the stale heartbeat, so several sweepers (or a
 * heartbeat arriving at the same moment) cannot lose a live worker or lose one twice; a later
 * heartbeat restores the worker (worker.repository.ts recordHeartbeat). The embedded worker is never
 * lost this way: its process is the server's own. Index: workers_heartbeat (partial, active and
 * draining workers).
 */
export async function markLostWorkers(
  db: Kysely<DB>,
  lostAfterSecs: number,
): Promise<Array<{ id: string; name: string }>> {
  const { rows } = await sql<{ id: string; name: string }>`
    UPDATE workers SET status = 'lost'
    WHERE status IN ('active', 'draining') AND kind = 'remote'
      AND last_heartbeat < now() - make_interval(secs => ${lostAfterSecs})
    RETURNING id, name`.execute(db)
  return rows
}
