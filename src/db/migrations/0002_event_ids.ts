/**
 * Event ids in commit order, and logs across replicas (ARCHITECTURE.md §6, §10).
 *
 * job_events: the sequencer-stamped `id` goes and the bigserial `row_id` becomes `id` (`xid` stays,
 * for telling which events one transaction wrote).
 * Every transaction that inserts events takes a transaction-scoped advisory lock right before the
 * insert (its last statement), so ids become visible in id order (db/repositories/event.repository.ts).
 *
 * log_forward: log lines a replica could not append itself because another replica owns the job's
 * log; the owner drains them in id order. jobs_log_open finds the open logs of a dead owner.
 * Frozen in time: never import app code here. PostgreSQL 15 feature set only.
 */
import { sql, type Kysely } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX job_events_unstamped`.execute(db)
  await sql`ALTER TABLE job_events DROP COLUMN id`.execute(db)
  await sql`ALTER TABLE job_events RENAME COLUMN row_id TO id`.execute(db)
  await sql`ALTER SEQUENCE job_events_row_id_seq RENAME TO job_events_id_seq`.execute(db)

  await sql`
    CREATE TABLE log_forward (
      id bigserial PRIMARY KEY,
      job_id uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
      lines jsonb NOT NULL,
      end_status text,
      created_at timestamptz NOT NULL DEFAULT now()
    )
  `.execute(db)
  await sql`CREATE INDEX log_forward_job ON log_forward (job_id, id)`.execute(db)
  await sql`CREATE INDEX jobs_log_open ON jobs (log_owner) WHERE log_last_seq IS NULL`.execute(db)
}
