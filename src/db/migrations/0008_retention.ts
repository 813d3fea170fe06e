/**
 * Retention: a job is marked (purge_started_at) before its files are deleted and its rows go, so
 * a pass killed half-way is finished by the next one: no log file outlives its job, and no job is
 * left without its log. Frozen in time: never import app code here.
 */
import { sql, type Kysely } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE jobs ADD COLUMN purge_started_at timestamptz`.execute(db)
  await sql`CREATE INDEX jobs_purging ON jobs (purge_started_at) WHERE purge_started_at IS NOT NULL`.execute(
    db,
  )
}
