/** Job and step statuses and source types (API.md §2), as const tables with their unions. */

export const JOB_STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const
export type JobStatus = (typeof JOB_STATUSES)[number]
export const TERMINAL_JOB_STATUSES: ReadonlySet<JobStatus> = new Set([
  'completed',
  'failed',
  'cancelled',
])

export const STEP_STATUSES = [
  'pending',
  'ready',
  'running',
  'suspended',
  'completed',
  'failed',
  'skipped',
  'cancelled',
] as const
export type StepStatus = (typeof STEP_STATUSES)[number]
export const TERMINAL_STEP_STATUSES: ReadonlySet<StepStatus> = new Set([
  'completed',
  'failed',
  'skipped',
  'cancelled',
])

export const SOURCE_TYPES = [
  'api',
  'user',
  'trigger',
  'webhook',
  'hook',
  'task',
  'rerun',
  'upload',
] as const
export type SourceType = (typeof SOURCE_TYPES)[number]

export const WORKER_STATUSES = ['active', 'draining', 'lost', 'revoked'] as const
export type WorkerStatus = (typeof WORKER_STATUSES)[number]

export function isTerminalJobStatus(s: JobStatus): boolean {
  return TERMINAL_JOB_STATUSES.has(s)
}
export function isTerminalStepStatus(s: StepStatus): boolean {
  return TERMINAL_STEP_STATUSES.has(s)
}
