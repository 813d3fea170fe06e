/**
 * Whole-task retry (pure): a failed job of a task with `retry` is planned again as a new job with
 * the same input and source, `retry_of_job_id` set, and its root steps claimable after the
 * policy's delay. The idempotency key `task-retry:<first job>:<attempt>` makes each attempt
 * exactly once, whatever happens around the transaction that inserts it.
 */
import type { Workspace } from '../workspace/workspace.ts'
import type { Job } from './job.ts'
import { planJob, type PlannedJob } from './plan-job.ts'
import { nextRetryDelayMs } from './retry-policy.ts'

const KEY = /^task-retry:([0-9a-f-]{36}):(\d+)$/

export interface TaskRetryPlan {
  readonly job: PlannedJob
  /** Attempt number of the new job (the failed one was attempt - 1). */
  readonly attempt: number
  readonly maxAttempts: number
  readonly delayMs: number
}

export function planTaskRetry(p: {
  readonly job: Job
  readonly workspace: Workspace
  readonly now: Date
  readonly newJobId: () => string
  readonly newStepId: () => string
  readonly defaultStepTimeoutSecs: number
  readonly defaultJobTimeoutSecs: number | null
}): TaskRetryPlan | null {
  const task = p.workspace.tasks.get(p.job.taskName)
  // Hook jobs and sub-task jobs are not retried as tasks (a task step has its own retry).
  if (!task?.retry || p.job.sourceType === 'hook' || p.job.parentJobId) return null
  if (task.unavailable) return null
  const m = KEY.exec(p.job.idempotencyKey ?? '')
  const root = m ? m[1]! : p.job.id
  const failedAttempt = m ? Number(m[2]) : 1
  const delayMs = nextRetryDelayMs(failedAttempt, task.retry)
  if (delayMs === null) return null
  const job = planJob({
    jobId: p.newJobId(),
    newStepId: p.newStepId,
    workspace: p.workspace,
    task,
    input: p.job.input,
    source: { type: p.job.sourceType, id: p.job.sourceId },
    now: p.now,
    defaultStepTimeoutSecs: p.defaultStepTimeoutSecs,
    defaultJobTimeoutSecs: p.defaultJobTimeoutSecs,
    idempotencyKey: `task-retry:${root}:${failedAttempt + 1}`,
    retryOfJobId: p.job.id,
    notBefore: new Date(p.now.getTime() + delayMs),
  })
  return { job, attempt: failedAttempt + 1, maxAttempts: task.retry.maxAttempts, delayMs }
}
