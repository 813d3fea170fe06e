/**
 * How an attempt ends (pure): the worker's outcome, reconciled with a pending cancel or job
 * timeout and the step's retry policy, becomes one step event (`complete`, `fail`, `retry`,
 * `stopped`) and the move the state machine makes of it.
 */
import type { Job, StepOutcome, StepRun } from './job.ts'
import { JOB_TIMED_OUT, moveStep, type StepAnnounceDetails, type StepMove } from './move-effects.ts'
import { nextRetryDelayMs } from './retry-policy.ts'
import type { StepEventType } from './state-machine.ts'

export interface AttemptEndDecision {
  readonly move: StepMove
  /** What the attempt's end writes (finishStepAttempt). */
  readonly attempt: {
    readonly status: 'completed' | 'failed' | 'cancelled' | 'ready'
    readonly exitCode: number | null
    readonly output: unknown
    readonly errorMessage: string | null
    readonly retryAt: Date | null
  }
  /** The step as it is after this end, for settling the job in the same transaction. */
  readonly patch: Partial<StepRun>
  /** For announceStepMove. */
  readonly details: StepAnnounceDetails
}

/** The step event an outcome is, and the error the step keeps. */
export function attemptEvent(
  job: Pick<Job, 'cancelRequestedAt'>,
  step: Pick<StepRun, 'stopReason' | 'attempt' | 'spec'>,
  outcome: StepOutcome,
): { event: StepEventType; error: string | null; retryDelayMs: number | null } {
  if (outcome.status === 'completed') return { event: 'complete', error: null, retryDelayMs: null }
  // A cancel wins over whatever the process did while it was being stopped.
  if (job.cancelRequestedAt !== null)
    return { event: 'stopped', error: outcome.errorMessage, retryDelayMs: null }
  if (step.stopReason === 'timeout')
    return { event: 'fail', error: JOB_TIMED_OUT, retryDelayMs: null }
  const error =
    outcome.status === 'cancelled'
      ? (outcome.errorMessage ?? 'stopped without a cancel request')
      : outcome.errorMessage
  const delay = nextRetryDelayMs(step.attempt, step.spec.retry)
  return delay === null
    ? { event: 'fail', error, retryDelayMs: null }
    : { event: 'retry', error, retryDelayMs: delay }
}

export function decideAttemptEnd(
  job: Job,
  step: StepRun,
  outcome: StepOutcome,
  now: Date,
): AttemptEndDecision {
  const { event, error, retryDelayMs } = attemptEvent(job, step, outcome)
  const move = moveStep(step, event, error)
  const base = {
    exitCode: outcome.exitCode,
    output: move.to === 'completed' ? outcome.output : null,
    errorMessage: error,
  }
  if (retryDelayMs !== null) {
    const retryAt = new Date(now.getTime() + retryDelayMs)
    return {
      move,
      attempt: { ...base, status: 'ready', retryAt },
      patch: { status: 'ready', errorMessage: error, attempt: step.attempt + 1, readyAt: retryAt },
      details: { retryAt, retryDelayMs, maxAttempts: step.spec.retry?.maxAttempts ?? 1 },
    }
  }
  const status = move.to as 'completed' | 'failed' | 'cancelled'
  return {
    move,
    attempt: { ...base, status, retryAt: null },
    patch: {
      status,
      output: base.output,
      errorMessage: error,
      exitCode: outcome.exitCode,
      completedAt: now,
    },
    details: { exitCode: outcome.exitCode },
  }
}
