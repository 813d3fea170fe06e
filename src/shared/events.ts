/** Domain events, named as API.md §8: the hub, SSE, metrics and tests consume them. */
import type { JobStatus, SourceType, StepStatus } from './statuses.ts'

export interface EventMap {
  'job.created': {
    job_id: string
    workspace: string
    task_name: string
    status: JobStatus
    source_type: SourceType
    source_id: string | null
  }
  'job.started': { job_id: string; workspace: string; task_name: string; status: JobStatus }
  'job.cancel_requested': {
    job_id: string
    workspace: string
    task_name: string
    status: JobStatus
  }
  'job.finished': {
    job_id: string
    workspace: string
    task_name: string
    status: JobStatus
    started_at: string | null
    completed_at: string | null
  }
  'step.started': {
    job_id: string
    workspace: string
    task_name: string
    step_name: string
    attempt: number
    worker_id: string | null
  }
  'step.finished': {
    job_id: string
    workspace: string
    task_name: string
    step_name: string
    attempt: number
    status: StepStatus
    error_message: string | null
  }
  'step.retrying': {
    job_id: string
    workspace: string
    task_name: string
    step_name: string
    attempt: number
    error_message: string | null
    retry_at: string
  }
  'step.suspended': {
    job_id: string
    workspace: string
    task_name: string
    step_name: string
    message: string
  }
  'trigger.fired': {
    workspace: string
    trigger: string
    task: string
    scheduled_for: string
    job_id: string
  }
  'trigger.skipped': {
    workspace: string
    trigger: string
    task: string
    scheduled_for: string
    reason: string
  }
  'worker.changed': { worker_id: string; name: string; status: string }
}

export type EventType = keyof EventMap
export const EVENT_TYPES = [
  'job.created',
  'job.started',
  'job.cancel_requested',
  'job.finished',
  'step.started',
  'step.finished',
  'step.retrying',
  'step.suspended',
  'trigger.fired',
  'trigger.skipped',
  'worker.changed',
] as const satisfies ReadonlyArray<EventType>

export interface DomainEvent<T extends EventType = EventType> {
  type: T
  data: EventMap[T]
}
