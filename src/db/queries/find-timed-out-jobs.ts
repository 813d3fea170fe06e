import { sql, type Kysely } from 'kysely'
import type { DB } from '../schema.ts'

/**
 * Jobs still active past their `timeout` (counted from creation). Read-only; each is ended by the
 * orchestrator under its job lock, which re-checks the status. Index: jobs_timeout (partial).
 */
export async function findTimedOutJobs(db: Kysely<DB>, limit = 100): Promise<string[]> {
  const rows = await db
    .selectFrom('jobs')
    .select('id')
    .where('status', 'in', ['pending', 'running'])
    .where('timeout_at', 'is not', null)
    .where('timeout_at', '<', sql<Date>`now()`)
    .where('error_message', 'is', null)
    .limit(limit)
    .execute()
  return rows.map((r) => r.id)
}
