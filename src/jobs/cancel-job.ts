/**
 * Cancel and job timeout: both lock the job, end its waiting steps, ask its running ones to stop
 * and settle it, in one transaction; the collected effects run after commit.
 */
import type { Kysely, Transaction } from 'kysely'
import { insertEvents } from '../db/repositories/event.repository.ts'
import { listStepsOfJob, lockJobForUpdate, updateJob } from '../db/repositories/job.repository.ts'
import { applyStepChanges, requestStop } from '../db/repositories/step-run.repository.ts'
import type { DB } from '../db/schema.ts'
import { withTransaction } from '../db/transaction.ts'
import type { Clock } from '../shared/clock.ts'
import { ConflictError, NotFoundError } from '../shared/errors.ts'
import { isTerminalJobStatus, type JobStatus } from '../shared/statuses.ts'
import { AfterCommit } from './after-commit.ts'
import type { Job, StepRun } from '../flow/job.ts'
import { settleJob, type FinalizeDeps } from './settle-job.ts'
import { stepFinishedEvent } from '../flow/job-events.ts'

export interface CancelContext {
  readonly db: Kysely<DB>
  readonly clock: Clock
  readonly finalizeDeps: (trx: Transaction<DB>) => FinalizeDeps
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
  const jobId = job.id
  const now = c.clock.now()
  const at = job.cancelRequestedAt ?? now
  const fx = new AfterCommit()
  const { steps, waiting } = await endWaitingSteps(trx, jobId, 'cancelled', null)
  const running = await requestStop(trx, jobId, 'cancel_requested')
  if (!job.cancelRequestedAt) {
    await updateJob(trx, jobId, { cancelRequestedAt: at })
    fx.event('job.cancel_requested', {
      job_id: jobId,
      workspace: job.workspace,
      task_name: job.taskName,
      status: job.status,
    })
    fx.line(
      jobId,
      `cancel requested; ${running} running step${running === 1 ? '' : 's'} asked to stop`,
    )
  }
  if (running > 0) fx.stops.push({ jobId, reason: 'cancel_requested' })
  for (const s of waiting) fx.events.push(stepFinishedEvent(job, s, 'cancelled', null))
  const cancelledJob: Job = { ...job, cancelRequestedAt: at }
  const updated = steps.map((s): StepRun =>
    waiting.includes(s) ? { ...s, status: 'cancelled' } : s,
  )
  const status = await settleJob(trx, c.finalizeDeps(trx), cancelledJob, updated, fx)
  return { fx, status, at }
}

/** Fails a job whose `timeout` passed: waiting steps fail, running ones are told to stop. */
export async function timeoutJob(c: CancelContext, jobId: string): Promise<void> {
  const fx = await withTransaction(c.db, async (trx) => {
    const job = await lockJobForUpdate(trx, jobId)
    const fx = new AfterCommit()
    if (!job || isTerminalJobStatus(job.status)) return fx
    const { steps, waiting } = await endWaitingSteps(trx, jobId, 'failed', 'job timed out')
    await updateJob(trx, jobId, { errorMessage: 'job timed out' })
    if ((await requestStop(trx, jobId, 'timeout')) > 0) fx.stops.push({ jobId, reason: 'timeout' })
    fx.line(jobId, 'job timed out', 'stderr')
    for (const s of waiting) fx.events.push(stepFinishedEvent(job, s, 'failed', 'job timed out'))
    const updated = steps.map((s): StepRun =>
      waiting.includes(s) ? { ...s, status: 'failed', errorMessage: 'job timed out' } : s,
    )
    await settleJob(
      trx,
      c.finalizeDeps(trx),
      { ...job, errorMessage: 'job timed out' },
      updated,
      fx,
    )
    await insertEvents(trx, fx.events)
    return fx
  })
  c.onCommitted(fx)
}

/** Ends a locked job's pending and ready steps with `status`; returns all steps and those. */
async function endWaitingSteps(
  trx: Transaction<DB>,
  jobId: string,
  status: 'cancelled' | 'failed',
  errorMessage: string | null,
): Promise<{ steps: StepRun[]; waiting: StepRun[] }> {
  const steps = await listStepsOfJob(trx, jobId)
  const waiting = steps.filter((s) => s.status === 'pending' || s.status === 'ready')
  await applyStepChanges(
    trx,
    waiting.map((s) => ({ stepId: s.id, status, errorMessage, readyAt: null })),
  )
  return { steps, waiting }
}
