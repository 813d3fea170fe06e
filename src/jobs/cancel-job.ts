/**
 * Cancel and job timeout: both lock the job, move it (`request_cancel`, `time_out`) and every
 * step with it (`job_cancelled`, `job_timed_out`: waiting steps end, running ones are asked to
 * stop), then settle it, in one transaction; the collected effects run after commit.
 */
import type { Kysely, Transaction } from 'kysely'
import { insertEvents } from '../db/repositories/event.repository.ts'
import { listStepsOfJob, lockJobForUpdate, updateJob } from '../db/repositories/job.repository.ts'
import { applyStepChanges, requestStop } from '../db/repositories/step-run.repository.ts'
import type { DB } from '../db/schema.ts'
import { withTransaction } from '../db/transaction.ts'
import { AfterCommit } from '../flow/after-commit.ts'
import type { Job, StepRun } from '../flow/job.ts'
import {
  announceJobMove,
  announceStepMove,
  errorOf,
  JOB_TIMED_OUT,
  jobChangesOf,
  moveJob,
  moveStep,
  statusChangeOf,
  type StepMove,
} from '../flow/move-effects.ts'
import { stepTransition, type StepEventType } from '../flow/state-machine.ts'
import { stepKind } from '../flow/step-spec.ts'
import type { Clock } from '../shared/clock.ts'
import { ConflictError, NotFoundError } from '../shared/errors.ts'
import { isTerminalJobStatus, type JobStatus } from '../shared/statuses.ts'
import { settleAndWrite, type SettleDeps } from './apply-settlement.ts'

export interface CancelContext {
  readonly db: Kysely<DB>
  readonly clock: Clock
  readonly settleDeps: (trx: Transaction<DB>) => SettleDeps
  readonly onCommitted: (fx: AfterCommit) => void
}

/** Cancels a job (API.md §5.3): 409 when terminal; running steps are asked to stop. */
export async function cancelJob(
  c: CancelContext,
  jobId: string,
): Promise<{ status: JobStatus; cancelRequestedAt: Date }> {
  const out = await withTransaction(c.db, async (trx) => {
    const job = await lockJobForUpdate(trx, jobId)
    if (!job) throw new NotFoundError(`job '${jobId}' not found`)
    if (isTerminalJobStatus(job.status)) throw new ConflictError(`job is already ${job.status}`)
    const out = await requestCancel(c, trx, job)
    await insertEvents(trx, out.fx.events)
    return out
  })
  c.onCommitted(out.fx)
  return { status: out.status, cancelRequestedAt: out.at }
}

/**
 * Cancels a job the caller has locked (`lockJobForUpdate`) and found not terminal, inside the
 * caller's transaction (also `concurrency: cancel_previous` in a cron fire). The caller inserts
 * `fx.events` and runs `fx` after its commit.
 */
export async function requestCancel(
  c: CancelContext,
  trx: Transaction<DB>,
  job: Job,
): Promise<{ fx: AfterCommit; status: JobStatus; at: Date }> {
  const at = job.cancelRequestedAt ?? c.clock.now()
  const { fx, status } = await moveJobAndSteps(c, trx, job, {
    jobEvent: 'request_cancel',
    stepEvent: 'job_cancelled',
    stopReason: 'cancel_requested',
    reason: null,
    after: { ...job, cancelRequestedAt: at },
  })
  return { fx, status, at }
}

/** Fails a job whose `timeout` passed: waiting steps fail, running ones are told to stop. */
export async function timeoutJob(c: CancelContext, jobId: string): Promise<void> {
  const fx = await withTransaction(c.db, async (trx) => {
    const job = await lockJobForUpdate(trx, jobId)
    if (!job || isTerminalJobStatus(job.status)) return new AfterCommit()
    const { fx } = await moveJobAndSteps(c, trx, job, {
      jobEvent: 'time_out',
      stepEvent: 'job_timed_out',
      stopReason: 'timeout',
      reason: JOB_TIMED_OUT,
      after: { ...job, errorMessage: JOB_TIMED_OUT },
    })
    await insertEvents(trx, fx.events)
    return fx
  })
  c.onCommitted(fx)
}

/**
 * One job-level move on a locked job: the job's row and announcements, every step that has a
 * row for `stepEvent` moved with it (waiting ones written in one statement, running ones asked
 * to stop in another), then the job settled as `after`.
 */
async function moveJobAndSteps(
  c: CancelContext,
  trx: Transaction<DB>,
  job: Job,
  m: {
    readonly jobEvent: 'request_cancel' | 'time_out'
    readonly stepEvent: StepEventType
    readonly stopReason: 'cancel_requested' | 'timeout'
    readonly reason: string | null
    readonly after: Job
  },
): Promise<{ fx: AfterCommit; status: JobStatus }> {
  const now = c.clock.now()
  const fx = new AfterCommit()
  const steps = await listStepsOfJob(trx, job.id)
  const moves: StepMove[] = steps
    .filter((s) => stepTransition(s.status, m.stepEvent).ok)
    .map((s) => moveStep(s, m.stepEvent, m.reason))
  await applyStepChanges(
    trx,
    moves.flatMap((mv) => statusChangeOf(mv, now) ?? []),
  )
  // A running step asked to stop: a worker's process is told; a task step's child job is
  // cancelled after the commit; a loop step waits for its instances.
  const stopped = moves.filter((mv) => mv.effects.includes('request_stop'))
  const byId = new Map(steps.map((s) => [s.id, s]))
  const children = stopped.flatMap((mv) => {
    const s = byId.get(mv.stepId)
    return s && stepKind(s.spec) === 'task' && s.childJobId ? [s.childJobId] : []
  })
  const stopping = stopped.some((mv) => stepKind(byId.get(mv.stepId)!.spec) === 'worker')
    ? await requestStop(trx, job.id, m.stopReason)
    : 0
  fx.cancelChildren.push(...children)
  const move = moveJob(job, m.jobEvent)
  const details = { now, cancelRequestedAt: job.cancelRequestedAt, stopping }
  const changes = jobChangesOf(move, details)
  if (Object.keys(changes).length > 0) await updateJob(trx, job.id, changes)
  announceJobMove(fx, job, move, details)
  if (stopping > 0) fx.stops.push({ jobId: job.id, reason: m.stopReason })
  for (const mv of moves) announceStepMove(fx, job, mv)
  const moved = new Map(moves.map((mv) => [mv.stepId, mv]))
  const updated = steps.map((s): StepRun => {
    const mv = moved.get(s.id)
    return mv ? { ...s, status: mv.to, errorMessage: errorOf(mv) ?? s.errorMessage } : s
  })
  const status = await settleAndWrite(trx, c.settleDeps(trx), m.after, updated, fx)
  return { fx, status }
}
