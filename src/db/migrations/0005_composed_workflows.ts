/**
 * Workflows that compose: sub-task jobs (parent, depth), re-run lineage (source_job_id,
 * source_type `rerun`), approval gates (step status `suspended`, suspended_at, its deadline
 * index) and for_each loops (instance rows carry their loop step, index and total; a loop step
 * or task step is run by the server, so child_job_id links a task step to its child job).
 * Frozen in time: never import app code here.
 */
import { sql, type Kysely } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE jobs
      DROP CONSTRAINT jobs_source_type_check,
      ADD CONSTRAINT jobs_source_type_check
        CHECK (source_type IN ('api','user','trigger','webhook','hook','task','rerun')),
      ADD COLUMN parent_job_id uuid,
      ADD COLUMN parent_step_name text,
      ADD COLUMN source_job_id uuid,
      ADD COLUMN depth integer NOT NULL DEFAULT 0
  `.execute(db)
  await sql`CREATE INDEX jobs_parent ON jobs (parent_job_id, created_at DESC, id DESC) WHERE parent_job_id IS NOT NULL`.execute(
    db,
  )
  await sql`
    ALTER TABLE step_runs
      DROP CONSTRAINT step_runs_status_check,
      ADD CONSTRAINT step_runs_status_check
        CHECK (status IN ('pending','ready','running','suspended','completed','failed','skipped','cancelled')),
      ADD COLUMN suspended_at timestamptz,
      ADD COLUMN loop_source text,
      ADD COLUMN loop_index integer,
      ADD COLUMN loop_total integer,
      ADD COLUMN child_job_id uuid
  `.execute(db)
  await sql`CREATE INDEX step_runs_suspended_deadline ON step_runs (deadline_at) WHERE status = 'suspended'`.execute(
    db,
  )
  await sql`CREATE INDEX step_runs_child ON step_runs (child_job_id) WHERE child_job_id IS NOT NULL`.execute(
    db,
  )
}
