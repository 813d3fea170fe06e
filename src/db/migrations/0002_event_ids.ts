/**
 * The sequence behind job_events.id: the event sequencer takes ids from it when it stamps rows
 * whose transactions have all finished (ARCHITECTURE.md §6). Frozen in time: never import app code.
 */
import { sql, type Kysely } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE SEQUENCE job_event_ids`.execute(db)
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP SEQUENCE job_event_ids`.execute(db)
}
