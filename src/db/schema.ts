/**
 * Hand-written table types (no codegen). `schema.test.ts` checks every column list against
 * information_schema after migrating, so this file cannot drift from the migrations.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'
import type { ActorType, AuditOutcome, Role } from '../shared/accounts.ts'
import type { JobStatus, SourceType, StepStatus, WorkerStatus } from '../shared/statuses.ts'

type NullableTimestamp = ColumnType<
  Date | null,
  Date | string | null | undefined,
  Date | string | null
>
type Json = ColumnType<unknown, string, string>
type NullableJson = ColumnType<unknown, string | null | undefined, string | null>

export interface JobsTable {
  id: string
  workspace: string
  task_name: string
  mode: Generated<string>
  status: JobStatus
  source_type: SourceType
  source_id: string | null
  input: Json
  raw_input: NullableJson
  output: NullableJson
  error_message: string | null
  revision: string
  fire_key: string | null
  idempotency_key: string | null
  retry_of_job_id: string | null
  cancel_requested_at: NullableTimestamp
  timeout_at: NullableTimestamp
  created_at: ColumnType<Date, Date | string | undefined, Date | string>
  started_at: NullableTimestamp
  completed_at: NullableTimestamp
  log_owner: string | null
  log_last_seq: number | null
  parent_job_id: string | null
  parent_step_name: string | null
  source_job_id: string | null
  depth: Generated<number>
  /** Set when retention starts deleting the job (its files first, then its rows). */
  purge_started_at: NullableTimestamp
}

export interface StepRunsTable {
  id: string
  job_id: string
  step_name: string
  position: number
  action_name: string
  action_type: string
  runner: Generated<string>
  status: StepStatus
  spec: Json
  depends_on: Json
  input: NullableJson
  output: NullableJson
  exit_code: number | null
  error_message: string | null
  attempt: Generated<number>
  tags: Json
  ready_at: NullableTimestamp
  worker_id: string | null
  lease_token: string | null
  lease_seq: Generated<number>
  prev_lease_token: string | null
  lease_reply: NullableJson
  lease_expires_at: NullableTimestamp
  stop_reason: string | null
  deadline_at: NullableTimestamp
  claimed_at: NullableTimestamp
  started_at: NullableTimestamp
  completed_at: NullableTimestamp
  suspended_at: NullableTimestamp
  loop_source: string | null
  loop_index: number | null
  loop_total: number | null
  child_job_id: string | null
}

export interface WorkersTable {
  id: string
  name: string
  kind: 'remote' | 'embedded'
  status: WorkerStatus
  tags: Json
  capabilities: Json
  version: string | null
  hostname: string | null
  max_concurrency: number
  secret_hash: string | null
  boot_id: string | null
  last_heartbeat: NullableTimestamp
  registered_at: ColumnType<Date, Date | string | undefined, Date | string>
  draining_since: NullableTimestamp
  drain_reason: string | null
  drained_by: string | null
  revoked_at: NullableTimestamp
}

export interface EnrollmentTokensTable {
  id: string
  token_hash: string
  name: string
  uses_left: number | null
  expires_at: NullableTimestamp
  revoked_at: NullableTimestamp
  created_at: ColumnType<Date, Date | string | undefined, Date | string>
}

export interface TriggerStateTable {
  workspace: string
  trigger_name: string
  cron: string
  timezone: string
  spec_hash: string
  enabled: boolean
  next_fire_at: NullableTimestamp
  last_fired_at: NullableTimestamp
  last_job_id: string | null
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
}

/** `id` is a bigserial assigned under the events lock, so ids commit in order (0002_event_ids). */
export interface JobEventsTable {
  id: Generated<string>
  xid: Generated<string>
  job_id: string | null
  workspace: string | null
  type: string
  payload: Json
  at: ColumnType<Date, Date | string | undefined, Date | string>
}

export interface WebhookDeliveriesTable {
  workspace: string
  trigger_name: string
  delivery_id: string
  job_id: string
  received_at: ColumnType<Date, Date | string | undefined, Date | string>
}

/** Log lines for a job whose log another replica owns, waiting for that owner to append them. */
export interface LogForwardTable {
  id: Generated<string>
  job_id: string
  lines: Json
  end_status: string | null
  created_at: ColumnType<Date, Date | string | undefined, Date | string>
}

export interface ReplicasTable {
  id: string
  internal_url: string | null
  started_at: ColumnType<Date, Date | string | undefined, Date | string>
  last_seen_at: ColumnType<Date, Date | string | undefined, Date | string>
}

export interface UsersTable {
  id: string
  email: string
  name: string
  role: Role
  password_hash: string | null
  disabled_at: NullableTimestamp
  created_at: ColumnType<Date, Date | string | undefined, Date | string>
  last_login_at: NullableTimestamp
}

export interface ApiKeysTable {
  id: string
  user_id: string
  name: string
  prefix: string
  key_hash: string
  created_at: ColumnType<Date, Date | string | undefined, Date | string>
  expires_at: NullableTimestamp
  last_used_at: NullableTimestamp
  revoked_at: NullableTimestamp
}

export interface RefreshTokensTable {
  id: string
  family_id: string
  user_id: string
  token_hash: string
  created_at: ColumnType<Date, Date | string | undefined, Date | string>
  expires_at: ColumnType<Date, Date | string, Date | string>
  used_at: NullableTimestamp
  revoked_at: NullableTimestamp
}

export interface AuditLogTable {
  id: Generated<string>
  at: ColumnType<Date, Date | string | undefined, Date | string>
  actor_type: ActorType
  actor: string | null
  action: string
  target_type: string | null
  target_id: string | null
  address: string | null
  outcome: AuditOutcome
  details: NullableJson
}

export interface ArtifactsTable {
  id: string
  job_id: string
  step_name: string
  name: string
  content_type: string
  /** bigint: pg returns it as a string. */
  size_bytes: ColumnType<string | number, number, number>
  storage_key: string
  created_at: ColumnType<Date, Date | string | undefined, Date | string>
}

export interface StateSnapshotsTable {
  id: string
  workspace: string
  /** Null: the workspace's global state. */
  task_name: string | null
  job_id: string | null
  state: Json
  files_key: string | null
  created_at: ColumnType<Date, Date | string | undefined, Date | string>
}

export interface DB {
  jobs: JobsTable
  step_runs: StepRunsTable
  workers: WorkersTable
  enrollment_tokens: EnrollmentTokensTable
  trigger_state: TriggerStateTable
  job_events: JobEventsTable
  webhook_deliveries: WebhookDeliveriesTable
  replicas: ReplicasTable
  log_forward: LogForwardTable
  users: UsersTable
  api_keys: ApiKeysTable
  refresh_tokens: RefreshTokensTable
  audit_log: AuditLogTable
  artifacts: ArtifactsTable
  state_snapshots: StateSnapshotsTable
}

export type JobRow = Selectable<JobsTable>
export type NewJobRow = Insertable<JobsTable>
export type JobPatch = Updateable<JobsTable>
export type StepRunRow = Selectable<StepRunsTable>
export type NewStepRunRow = Insertable<StepRunsTable>
export type StepRunPatch = Updateable<StepRunsTable>
export type WorkerRow = Selectable<WorkersTable>
export type TriggerStateRow = Selectable<TriggerStateTable>
export type JobEventRow = Selectable<JobEventsTable>
export type LogForwardRow = Selectable<LogForwardTable>
export type UserRow = Selectable<UsersTable>
export type ApiKeyRow = Selectable<ApiKeysTable>
export type RefreshTokenRow = Selectable<RefreshTokensTable>
export type AuditLogRow = Selectable<AuditLogTable>
export type ArtifactRow = Selectable<ArtifactsTable>
export type StateSnapshotRow = Selectable<StateSnapshotsTable>

/**
 * Lists every key of T exactly once, or fails to compile: `columnsOf<T>()([...])`.
 * The list is compared with the live table by schema.test.ts.
 */
export function columnsOf<T>() {
  return <const L extends ReadonlyArray<keyof T & string>>(
    list: L & ([keyof T] extends [L[number]] ? unknown : 'missing columns'),
  ): L => list
}

export const TABLE_COLUMNS = {
  jobs: columnsOf<JobsTable>()([
    'id',
    'workspace',
    'task_name',
    'mode',
    'status',
    'source_type',
    'source_id',
    'input',
    'raw_input',
    'output',
    'error_message',
    'revision',
    'fire_key',
    'idempotency_key',
    'retry_of_job_id',
    'cancel_requested_at',
    'timeout_at',
    'created_at',
    'started_at',
    'completed_at',
    'log_owner',
    'log_last_seq',
    'parent_job_id',
    'parent_step_name',
    'source_job_id',
    'depth',
    'purge_started_at',
  ]),
  step_runs: columnsOf<StepRunsTable>()([
    'id',
    'job_id',
    'step_name',
    'position',
    'action_name',
    'action_type',
    'runner',
    'status',
    'spec',
    'depends_on',
    'input',
    'output',
    'exit_code',
    'error_message',
    'attempt',
    'tags',
    'ready_at',
    'worker_id',
    'lease_token',
    'lease_seq',
    'prev_lease_token',
    'lease_reply',
    'lease_expires_at',
    'stop_reason',
    'deadline_at',
    'claimed_at',
    'started_at',
    'completed_at',
    'suspended_at',
    'loop_source',
    'loop_index',
    'loop_total',
    'child_job_id',
  ]),
  workers: columnsOf<WorkersTable>()([
    'id',
    'name',
    'kind',
    'status',
    'tags',
    'capabilities',
    'version',
    'hostname',
    'max_concurrency',
    'secret_hash',
    'boot_id',
    'last_heartbeat',
    'registered_at',
    'draining_since',
    'drain_reason',
    'drained_by',
    'revoked_at',
  ]),
  enrollment_tokens: columnsOf<EnrollmentTokensTable>()([
    'id',
    'token_hash',
    'name',
    'uses_left',
    'expires_at',
    'revoked_at',
    'created_at',
  ]),
  trigger_state: columnsOf<TriggerStateTable>()([
    'workspace',
    'trigger_name',
    'cron',
    'timezone',
    'spec_hash',
    'enabled',
    'next_fire_at',
    'last_fired_at',
    'last_job_id',
    'updated_at',
  ]),
  job_events: columnsOf<JobEventsTable>()([
    'id',
    'xid',
    'job_id',
    'workspace',
    'type',
    'payload',
    'at',
  ]),
  webhook_deliveries: columnsOf<WebhookDeliveriesTable>()([
    'workspace',
    'trigger_name',
    'delivery_id',
    'job_id',
    'received_at',
  ]),
  replicas: columnsOf<ReplicasTable>()(['id', 'internal_url', 'started_at', 'last_seen_at']),
  log_forward: columnsOf<LogForwardTable>()(['id', 'job_id', 'lines', 'end_status', 'created_at']),
  users: columnsOf<UsersTable>()([
    'id',
    'email',
    'name',
    'role',
    'password_hash',
    'disabled_at',
    'created_at',
    'last_login_at',
  ]),
  api_keys: columnsOf<ApiKeysTable>()([
    'id',
    'user_id',
    'name',
    'prefix',
    'key_hash',
    'created_at',
    'expires_at',
    'last_used_at',
    'revoked_at',
  ]),
  refresh_tokens: columnsOf<RefreshTokensTable>()([
    'id',
    'family_id',
    'user_id',
    'token_hash',
    'created_at',
    'expires_at',
    'used_at',
    'revoked_at',
  ]),
  audit_log: columnsOf<AuditLogTable>()([
    'id',
    'at',
    'actor_type',
    'actor',
    'action',
    'target_type',
    'target_id',
    'address',
    'outcome',
    'details',
  ]),
  artifacts: columnsOf<ArtifactsTable>()([
    'id',
    'job_id',
    'step_name',
    'name',
    'content_type',
    'size_bytes',
    'storage_key',
    'created_at',
  ]),
  state_snapshots: columnsOf<StateSnapshotsTable>()([
    'id',
    'workspace',
    'task_name',
    'job_id',
    'state',
    'files_key',
    'created_at',
  ]),
} as const satisfies { [K in keyof DB]: ReadonlyArray<string> }
