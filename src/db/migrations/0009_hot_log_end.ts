/**
 * Recording the end of a job's log (jobs.log_last_seq) becomes a HOT update: no column it sets is
 * indexed any more, and jobs pages keep room for the new row version. Before, that third update of
 * every job wrote a new entry into each of the table's 21 indexes, because log_last_seq was in
 * the predicate of jobs_log_open. The leader's takeover of a dead replica's open logs finds them
 * through jobs_active (jobs still pending or running: few) and log_forward instead.
 * Frozen in time: never import app code here.
 */
import { sql, type Kysely } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX jobs_log_open`.execute(db)
  await sql`ALTER TABLE jobs SET (fillfactor = 80)`.execute(db)
}
