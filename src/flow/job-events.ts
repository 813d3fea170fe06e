/** Domain events about steps and jobs that several transitions emit (API.md §8 payloads). */
import type { DomainEvent } from '../shared/events.ts'
import type { StepStatus } from '../shared/statuses.ts'
import type { Job } from './job.ts'

type JobRef = Pick<Job, 'id' | 'workspace' | 'taskName'>

/** `step.finished` for a step that reached a terminal status (also skipped or cancelled ones). */
export function stepFinishedEvent(
  job: JobRef,
  step: { readonly name: string; readonly attempt: number },
  status: StepStatus,
  errorMessage: string | null,
): DomainEvent<'step.finished'> {
  return {
    type: 'step.finished',
    data: {
      job_id: job.id,
      workspace: job.workspace,
      task_name: job.taskName,
      step_name: step.name,
      attempt: step.attempt,
      status,
      error_message: errorMessage,
    },
  }
}

/** `job.started`: emitted once, by whichever transaction moved the job out of `pending`. */
export function jobStartedEvent(job: JobRef): DomainEvent<'job.started'> {
  return {
    type: 'job.started',
    data: { job_id: job.id, workspace: job.workspace, task_name: job.taskName, status: 'running' },
  }
}
