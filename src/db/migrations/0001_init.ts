/**
 * Initial schema: jobs, step runs, workers, enrollment tokens, trigger state, job events, webhook
 * deliveries and replicas (ARCHITECTURE.md §3). Frozen in time: never import app code here.
 * PostgreSQL 15 feature set only; the same DDL runs on PGlite.
 */
import { sql, type Kysely } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE jobs (
      id uuid PRIMARY KEY,
      workspace text NOT NULL,
      task_name text NOT NULL,
      mode text NOT NULL DEFAULT 'distributed',
      status text NOT NULL CHECK (status IN ('pending','running','completed','failed','cancelled')),
      source_type text NOT NULL CHECK (source_type IN ('api','user','trigger','webhook','hook','task')),
      source_id text,
      input jsonb NOT NULL DEFAULT '{}'::jsonb,
      raw_input jsonb,
      output jsonb,
      error_message text,
      revision text NOT NULL,
      fire_key text,
      idempotency_key text,
      retry_of_job_id uuid,
      cancel_requested_at timestamptz,
      timeout_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      completed_at timestamptz,
      log_owner text,
      log_last_seq integer
    ) WITH (fillfactor = 80)
  `.execute(db)
  await sql`CREATE INDEX jobs_created ON jobs (created_at DESC, id DESC)`.execute(db)
  await sql`CREATE INDEX jobs_ws_created ON jobs (workspace, created_at DESC, id DESC)`.execute(db)
  await sql`CREATE INDEX jobs_ws_task_created ON jobs (workspace, task_name, created_at DESC, id DESC)`.execute(
    db,
  )
  await sql`CREATE INDEX jobs_status_created ON jobs (status, created_at DESC, id DESC)`.execute(db)
  await sql`CREATE INDEX jobs_active ON jobs (workspace, task_name) WHERE status IN ('pending','running')`.execute(
    db,
  )
  await sql`CREATE INDEX jobs_timeout ON jobs (timeout_at) WHERE status IN ('pending','running') AND timeout_at IS NOT NULL`.execute(
    db,
  )
  await sql`CREATE UNIQUE INDEX jobs_fire_key ON jobs (fire_key) WHERE fire_key IS NOT NULL`.execute(
    db,
  )
  await sql`CREATE UNIQUE INDEX jobs_idempotency ON jobs (workspace, task_name, idempotency_key) WHERE idempotency_key IS NOT NULL`.execute(
    db,
  )
  await sql`CREATE INDEX jobs_source ON jobs (source_type, source_id, created_at DESC)`.execute(db)

  await sql`
    CREATE TABLE step_runs (
      id uuid PRIMARY KEY,
      job_id uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
      step_name text NOT NULL,
      position integer NOT NULL,
      action_name text NOT NULL,
      action_type text NOT NULL,
      runner text NOT NULL DEFAULT 'local',
      status text NOT NULL CHECK (status IN ('pending','ready','running','completed','failed','skipped','cancelled')),
      spec jsonb NOT NULL,
      depends_on jsonb NOT NULL DEFAULT '[]'::jsonb,
      input jsonb,
      output jsonb,
      exit_code integer,
      error_message text,
      attempt integer NOT NULL DEFAULT 1,
      tags jsonb NOT NULL DEFAULT '[]'::jsonb,
      ready_at timestamptz,
      worker_id uuid,
      lease_token text,
      lease_seq integer NOT NULL DEFAULT 0,
      prev_lease_token text,
      lease_reply jsonb,
      lease_expires_at timestamptz,
      stop_reason text,
      deadline_at timestamptz,
      claimed_at timestamptz,
      started_at timestamptz,
      completed_at timestamptz,
      UNIQUE (job_id, step_name)
    ) WITH (fillfactor = 80)
  `.execute(db)
  await sql`CREATE INDEX step_runs_ready ON step_runs (ready_at, id) WHERE status = 'ready'`.execute(
    db,
  )
  await sql`CREATE INDEX step_runs_running_lease ON step_runs (lease_expires_at) WHERE status = 'running'`.execute(
    db,
  )
  await sql`CREATE INDEX step_runs_running_deadline ON step_runs (deadline_at) WHERE status = 'running' AND deadline_at IS NOT NULL`.execute(
    db,
  )
  await sql`CREATE INDEX step_runs_worker ON step_runs (worker_id, claimed_at DESC) WHERE worker_id IS NOT NULL`.execute(
    db,
  )

  await sql`
    CREATE TABLE workers (
      id uuid PRIMARY KEY,
      name text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('remote','embedded')),
      status text NOT NULL CHECK (status IN ('active','draining','lost','revoked')),
      tags jsonb NOT NULL DEFAULT '[]'::jsonb,
      capabilities jsonb NOT NULL DEFAULT '["script"]'::jsonb,
      version text,
      hostname text,
      max_concurrency integer NOT NULL DEFAULT 1,
      secret_hash text,
      boot_id text,
      last_heartbeat timestamptz,
      registered_at timestamptz NOT NULL DEFAULT now(),
      draining_since timestamptz,
      drain_reason text,
      drained_by text,
      revoked_at timestamptz
    )
  `.execute(db)
  await sql`CREATE UNIQUE INDEX workers_secret ON workers (secret_hash) WHERE secret_hash IS NOT NULL`.execute(
    db,
  )
  await sql`CREATE INDEX workers_heartbeat ON workers (last_heartbeat) WHERE status IN ('active','draining')`.execute(
    db,
  )

  await sql`
    CREATE TABLE enrollment_tokens (
      id uuid PRIMARY KEY,
      token_hash text NOT NULL UNIQUE,
      name text NOT NULL,
      uses_left integer,
      expires_at timestamptz,
      revoked_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    )
  `.execute(db)

  await sql`
    CREATE TABLE trigger_state (
      workspace text NOT NULL,
      trigger_name text NOT NULL,
      cron text NOT NULL,
      timezone text NOT NULL,
      spec_hash text NOT NULL,
      enabled boolean NOT NULL DEFAULT true,
      next_fire_at timestamptz,
      last_fired_at timestamptz,
      last_job_id uuid,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace, trigger_name)
    )
  `.execute(db)
  await sql`CREATE INDEX trigger_state_due ON trigger_state (next_fire_at) WHERE enabled`.execute(
    db,
  )

  await sql`
    CREATE TABLE job_events (
      row_id bigserial PRIMARY KEY,
      id bigint UNIQUE,
      xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
      job_id uuid,
      workspace text,
      type text NOT NULL,
      payload jsonb NOT NULL,
      at timestamptz NOT NULL DEFAULT now()
    )
  `.execute(db)
  await sql`CREATE INDEX job_events_unstamped ON job_events (row_id) WHERE id IS NULL`.execute(db)
  await sql`CREATE INDEX job_events_job ON job_events (job_id, row_id)`.execute(db)
  await sql`CREATE INDEX job_events_at ON job_events (at)`.execute(db)

  await sql`
    CREATE TABLE webhook_deliveries (
      workspace text NOT NULL,
      trigger_name text NOT NULL,
      delivery_id text NOT NULL,
      job_id uuid NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace, trigger_name, delivery_id)
    )
  `.execute(db)
  await sql`CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at)`.execute(
    db,
  )

  await sql`
    CREATE TABLE replicas (
      id text PRIMARY KEY,
      internal_url text,
      started_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now()
    )
  `.execute(db)
}
