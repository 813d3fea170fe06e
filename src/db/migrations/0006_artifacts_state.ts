/**
 * Step artifacts and task state: `artifacts` (files a step left in $ARTIFACTS_DIR, one row per
 * job and name, gone with their job), `state_snapshots` (a task's or, with a null task, a
 * workspace's state: the values of state.json and the key of the files' archive; kept when their
 * job is deleted) and the source type `upload` (the job an uploaded snapshot records).
 * Frozen in time: never import app code here.
 */
import { sql, type Kysely } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE jobs
      DROP CONSTRAINT jobs_source_type_check,
      ADD CONSTRAINT jobs_source_type_check
        CHECK (source_type IN ('api','user','trigger','webhook','hook','task','rerun','upload'))
  `.execute(db)
  await sql`
    CREATE TABLE artifacts (
      id uuid PRIMARY KEY,
      job_id uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
      step_name text NOT NULL,
      name text NOT NULL,
      content_type text NOT NULL,
      size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
      storage_key text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (job_id, name)
    )
  `.execute(db)
  await sql`
    CREATE TABLE state_snapshots (
      id uuid PRIMARY KEY,
      workspace text NOT NULL,
      task_name text,
      job_id uuid REFERENCES jobs(id) ON DELETE SET NULL,
      state jsonb NOT NULL DEFAULT '{}'::jsonb,
      files_key text,
      created_at timestamptz NOT NULL DEFAULT now()
    )
  `.execute(db)
  await sql`CREATE INDEX state_snapshots_latest ON state_snapshots (workspace, task_name, created_at DESC, id DESC)`.execute(
    db,
  )
}
