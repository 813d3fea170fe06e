/**
 * How an attempt ends (pure): the worker's outcome, reconciled with a pending cancel or job
 * timeout and the step's retry policy, plus the `_server` lines and events it produces.
 */
import type { DomainEvent } from '../shared/events.ts'
import type { Job, StepOutcome, StepRun } from './job.ts'
import { nextRetryDelayMs } from './retry-policy.ts'
import { transitionStep, type StepEvent } from './step-transitions.ts'

export interface AttemptEndDecision {
  readonly attempt: {
    readonly status: 'completed' | 'failed' | 'cancelled' | 'ready'
    readonly exitCode: number | null
    readonly output: unknown
    readonly errorMessage: string | null
    readonly retryAt: Date | null
  }
  /** The step as it is after this end, for settling the job in the same transaction. */
  readonly patch: Partial<StepRun>
  readonly lines: ReadonlyArray<readonly [string, 'stdout' | 'stderr']>
  readonly events: (job: Job) => DomainEvent[]
}

export const JOB_TIMED_OUT = 'job timed out'

function firstLine(s: string | null): string {
  return (s ?? '').split('\n')[0] ?? ''
}

export function decideAttemptEnd(
  job: Job,
  step: StepRun,
  outcome: StepOutcome,
  now: Date,
): AttemptEndDecision {
  let status: 'completed' | 'failed' | 'cancelled' = outcome.status
  let error = outcome.errorMessage
  if (status !== 'completed' && job.cancelRequestedAt !== null) status = 'cancelled'
  else if (status !== 'completed' && step.stopReason === 'timeout') {
    status = 'failed'
    error = JOB_TIMED_OUT
  } else if (status === 'cancelled') {
    status = 'failed'
    error = error ?? 'stopped without a cancel request'
  }
  if (status === 'completed') error = null
  const canRetry = status === 'failed' && job.cancelRequestedAt === null && error !== JOB_TIMED_OUT
  const delay = canRetry ? nextRetryDelayMs(step.attempt, step.spec.retry) : null
  assertLegal(
    step,
    status === 'completed'
      ? { type: 'succeeded' }
      : status === 'cancelled'
        ? { type: 'cancelled' }
        : { type: 'failed', error: error ?? '', retry: delay !== null },
  )
  const base = {
    exitCode: outcome.exitCode,
    output: status === 'completed' ? outcome.output : null,
    errorMessage: error,
  }
  const who = { job_id: step.jobId, step_name: step.name }
  if (delay !== null) {
    const retryAt = new Date(now.getTime() + delay)
    const max = step.spec.retry?.maxAttempts ?? 1
    return {
      attempt: { ...base, status: 'ready', retryAt },
      patch: { status: 'ready', errorMessage: error, attempt: step.attempt + 1, readyAt: retryAt },
      lines: [
        [
          `step ${step.name} failed (attempt ${step.attempt}/${max}): ${firstLine(error)}; retrying in ${Math.round(delay / 100) / 10}s`,
          'stderr',
        ],
      ],
      events: (j) => [
        {
          type: 'step.retrying',
          data: {
            ...who,
            workspace: j.workspace,
            task_name: j.taskName,
            attempt: step.attempt,
            error_message: error,
            retry_at: retryAt.toISOString(),
          },
        },
      ],
    }
  }
  const line: readonly [string, 'stdout' | 'stderr'] =
    status === 'completed'
      ? [`step ${step.name} completed (exit code ${outcome.exitCode ?? 0})`, 'stdout']
      : status === 'cancelled'
        ? [`step ${step.name} cancelled`, 'stdout']
        : [`step ${step.name} failed: ${firstLine(error)}`, 'stderr']
  return {
    attempt: { ...base, status, retryAt: null },
    patch: {
      status,
      output: base.output,
      errorMessage: error,
      exitCode: outcome.exitCode,
      completedAt: now,
    },
    lines: [line],
    events: (j) => [
      {
        type: 'step.finished',
        data: {
          ...who,
          workspace: j.workspace,
          task_name: j.taskName,
          attempt: step.attempt,
          status,
          error_message: error,
        },
      },
    ],
  }
}

/** The attempt's end must be a legal move of the step state machine (callers hold a running step). */
function assertLegal(step: StepRun, event: StepEvent): void {
  const t = transitionStep(step.status, event)
  if (!t.ok) throw new Error(`step ${step.name}: ${t.error}`)
}
