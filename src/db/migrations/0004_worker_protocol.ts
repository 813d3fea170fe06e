/**
 * Remote worker protocol: running steps by worker, for the `running_steps` count that every
 * claim checks against max_concurrency and the workers API shows. Partial, so it holds only the
 * hot set of running rows. Frozen in time: never import app code here.
 */
import { sql, type Kysely } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX step_runs_running_worker ON step_runs (worker_id) WHERE status = 'running'`.execute(
    db,
  )
}
