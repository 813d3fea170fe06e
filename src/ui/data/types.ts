/** The API's wire shapes (shared/docs/API.md), as far as the UI reads them. */

export const JOB_STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const
export type JobStatus = (typeof JOB_STATUSES)[number]

export const SOURCE_TYPES = ['api', 'user', 'trigger', 'webhook', 'hook', 'task', 'rerun'] as const

export type StepStatus =
  'pending' | 'ready' | 'running' | 'completed' | 'failed' | 'skipped' | 'cancelled' | 'suspended'

export interface ServerConfig {
  auth_required: boolean
  has_internal_auth: boolean
  version: string
}

export interface Diagnostic {
  severity: 'error' | 'warning'
  code: string
  file: string
  line: number
  column: number
  path: string
  message: string
}

export interface WorkspaceDto {
  name: string
  tasks_count: number
  actions_count: number
  triggers_count: number
  revision: string | null
  error: string | null
  issues?: Diagnostic[]
  warnings?: Diagnostic[]
}

export interface TaskSummary {
  id: string
  name: string
  workspace: string
  mode: string
  has_triggers: boolean
  display_name: string | null
  description: string | null
  folder?: string
}

export interface InputFieldDef {
  type: string
  name?: string
  description?: string
  required?: boolean
  default?: unknown
  options?: string[]
  allow_custom?: boolean
  multiple?: boolean
  secret?: boolean
  order?: number
}

export interface FlowStepDef {
  action?: string
  type?: string
  depends_on?: string[]
  when?: string
  for_each?: unknown
  description?: string
}

export interface TriggerDto {
  name: string
  type: 'scheduler' | 'webhook'
  cron: string | null
  timezone: string | null
  task: string
  enabled: boolean
  next_runs: string[]
  last_fired_at: string | null
  last_job_id: string | null
  path?: string
}

export interface TaskDetail extends TaskSummary {
  input: Record<string, InputFieldDef>
  flow: Record<string, FlowStepDef>
  triggers: TriggerDto[]
}

export interface DurationFigures {
  sample_size: number
  avg_ms: number | null
  p50_ms: number | null
  p95_ms: number | null
  min_ms: number | null
  max_ms: number | null
}

export interface TaskStats {
  window: number
  task: DurationFigures & {
    recent: { job_id: string; duration_ms: number; completed_at: string }[]
  }
  steps: (DurationFigures & { step_name: string })[]
}

export interface JobSummary {
  job_id: string
  workspace: string
  task_name: string
  status: JobStatus
  source_type: string
  source_id: string | null
  created_at: string
  started_at: string | null
  completed_at: string | null
  retry_of_job_id: string | null
  parent_job_id: string | null
  parent_step_name: string | null
  source_job_id: string | null
}

export interface StepDto {
  step_name: string
  action_name: string | null
  action_type: string
  runner: string
  input: unknown
  output: unknown
  status: StepStatus
  worker_id: string | null
  started_at: string | null
  completed_at: string | null
  error_message: string | null
  depends_on: string[]
  attempt: number
  exit_code: number | null
  loop_source?: string
  loop_index?: number
  loop_total?: number
  child_job_id?: string
  suspended_at?: string | null
  approval_message?: string | null
  approval_fields?: Record<string, InputFieldDef>
}

/** A file a step produced (GET /api/jobs/{id}/artifacts). */
export interface ArtifactDto {
  name: string
  content_type: string | null
  size_bytes: number
  step_name: string | null
  created_at: string | null
  url: string
}

export interface JobDetail extends JobSummary {
  input: Record<string, unknown>
  output: unknown
  revision: string | null
  cancel_requested_at: string | null
  error_message?: string | null
  steps: StepDto[]
  artifacts?: ArtifactDto[]
}

export interface LogLine {
  ts: string
  stream: 'stdout' | 'stderr'
  step: string
  line: string
  seq: number
}

export interface WorkerDto {
  worker_id: string
  name: string
  kind: string
  status: string
  tags: string[]
  capabilities: string[]
  version: string | null
  hostname: string | null
  max_concurrency: number
  running_steps: number
  last_heartbeat: string | null
  registered_at: string | null
  draining_since: string | null
  drain_reason: string | null
  recent_jobs?: {
    job_id: string
    workspace: string
    task_name: string
    job_status: string
    step_name: string
    step_status: string
    started_at: string | null
    completed_at: string | null
  }[]
}

export interface UserDto {
  user_id: string
  name: string
  email: string
  is_admin: boolean
  role: 'admin' | 'member' | 'viewer'
  disabled: boolean
  created_at: string
  last_login_at: string | null
}

export interface ApiKeyDto {
  prefix: string
  name: string
  created_at: string
  expires_at: string | null
  last_used_at: string | null
  revoked_at: string | null
  key?: string
}

export interface AuditDto {
  id: number
  at: string
  actor_type: string
  actor: string | null
  action: string
  target_type: string | null
  target_id: string | null
  address: string | null
  outcome: string
  details: unknown
}

/** Events of GET /api/events (API.md §8). */
export interface ServerEvent {
  id: number
  type: string
  data: Record<string, unknown> & { job_id?: string }
}
