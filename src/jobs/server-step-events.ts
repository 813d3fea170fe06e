/**
 * What moves the steps the server runs once they are running or waiting: a child job's end (its
 * parent's task step), an approver's decision, an approval's timeout, and a server-run step whose
 * retry delay passed. Each locks the job, decides one move (flow/), settles and persists in one
 * transaction; the collected effects run after commit.
 */
import type { Kysely, Transaction } from 'kysely'
import { lockJobWithSteps } from '../db/queries/lock-job-with-steps.ts'
import type { StepSpecCache } from '../db/queries/step-spec-cache.ts'
import { insertEvents } from '../db/repositories/event.repository.ts'
import { findJobById } from '../db/repositories/job.repository.ts'
import { applyStepChanges } from '../db/repositories/step-run.repository.ts'
import type { DB } from '../db/schema.ts'
import { withTransaction } from '../db/transaction.ts'
import { AfterCommit } from '../flow/after-commit.ts'
import { APPROVAL_TIMED_OUT, decideApproval, type ApprovalRequest } from '../flow/approvals.ts'
import { attemptEvent } from '../flow/finish-attempt.ts'
import type { Job, StepRun } from '../flow/job.ts'
import {
  announceStepMove,
  errorOf,
  moveStep,
  serverChangeOf,
  statusChangeOf,
  type StepAnnounceDetails,
  type StepMove,
  type StepStatusChange,
} from '../flow/move-effects.ts'
import { stepKind } from '../flow/step-spec.ts'
import { childOutcome } from '../flow/sub-tasks.ts'
import type { Clock } from '../shared/clock.ts'
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors.ts'
import type { StepStatus } from '../shared/statuses.ts'
import { settleAndWrite, type SettleDeps } from './apply-settlement.ts'

export interface ServerStepDeps {
  readonly db: Kysely<DB>
  readonly clock: Clock
  readonly settleDeps: (trx: Transaction<DB>) => SettleDeps
  readonly onCommitted: (fx: AfterCommit) => void
  readonly specs?: StepSpecCache
}

interface Decided {
  readonly move: StepMove
  readonly change: StepStatusChange
  readonly details?: StepAnnounceDetails
}

/**
 * Locks the job, lets `decide` pick one step's move (null: nothing to do), applies it, settles the
 * job, and commits; returns the step's new status (null when nothing moved).
 */
async function moveOneStep(
  d: ServerStepDeps,
  jobId: string,
  decide: (
    job: Job,
    steps: ReadonlyArray<StepRun>,
    trx: Transaction<DB>,
  ) => Promise<Decided | null>,
): Promise<StepStatus | null> {
  const out = await withTransaction(d.db, async (trx) => {
    const locked = await lockJobWithSteps(trx, jobId, d.specs)
    if (!locked) return null
    const decided = await decide(locked.job, locked.steps, trx)
    if (!decided) return null
    const { move, change } = decided
    const fx = new AfterCommit()
    announceStepMove(fx, locked.job, move, decided.details)
    await applyStepChanges(trx, [change])
    const updated = locked.steps.map((s): StepRun =>
      s.id === move.stepId
        ? {
            ...s,
            status: move.to,
            errorMessage: errorOf(move) ?? s.errorMessage,
            ...(move.output !== undefined ? { output: move.output } : {}),
            ...(move.to === 'ready' ? { readyAt: change.readyAt, attempt: s.attempt + 1 } : {}),
          }
        : s,
    )
    await settleAndWrite(trx, d.settleDeps(trx), locked.job, updated, fx)
    await insertEvents(trx, fx.events)
    return { fx, status: move.to }
  })
  if (!out) return null
  d.onCommitted(out.fx)
  return out.status
}

/**
 * A child job ended: its parent's task step completes with the child's output, fails naming it
 * (or retries, re-running the child), or is cancelled with it. Fenced: only a running step that
 * started this child moves, so a repeated notice changes nothing.
 */
export async function childJobEnded(
  d: ServerStepDeps,
  parentJobId: string,
  childJobId: string,
): Promise<void> {
  await moveOneStep(d, parentJobId, async (job, steps, trx) => {
    const step = steps.find((s) => s.childJobId === childJobId && s.status === 'running')
    const child = step ? await findJobById(trx, childJobId) : undefined
    const outcome = child ? childOutcome(child) : null
    if (!step || !outcome) return null
    const now = d.clock.now()
    if (outcome.status === 'cancelled') {
      const move = moveStep(step, 'stopped', outcome.error)
      return { move, change: serverChangeOf(move, now) }
    }
    const { event, error, retryDelayMs } = attemptEvent(job, step, {
      status: outcome.status,
      exitCode: null,
      output: outcome.output,
      errorMessage: outcome.error,
    })
    const move = moveStep(step, event, error, event === 'complete' ? outcome.output : undefined)
    if (retryDelayMs === null) return { move, change: serverChangeOf(move, now) }
    const retryAt = new Date(now.getTime() + retryDelayMs)
    return {
      move,
      change: serverChangeOf(move, now, { readyAt: retryAt }),
      details: { retryAt, retryDelayMs, maxAttempts: step.spec.retry?.maxAttempts ?? 1 },
    }
  })
}

/**
 * A person approves or rejects a suspended approval step (API.md: POST .../approve): 404 for an
 * unknown step, 409 when it is not waiting for an approval, 400 naming every bad approval field.
 */
export async function decideApprovalStep(
  d: ServerStepDeps,
  jobId: string,
  stepName: string,
  req: Omit<ApprovalRequest, 'at'>,
): Promise<{ status: StepStatus }> {
  let found = false
  const status = await moveOneStep(d, jobId, async (_job, steps) => {
    found = true
    const step = steps.find((s) => s.name === stepName)
    if (!step) throw new NotFoundError(`job '${jobId}' has no step '${stepName}'`)
    if (step.status !== 'suspended' || stepKind(step.spec) !== 'approval')
      throw new ConflictError(
        `step '${stepName}' is not waiting for an approval (it is ${step.status})`,
      )
    const decision = decideApproval(step, { ...req, at: d.clock.now() })
    if (!decision.ok) throw new ValidationError('invalid approval', decision.issues)
    const move = moveStep(step, decision.event, decision.reason, decision.output)
    return { move, change: statusChangeOf(move, d.clock.now())! }
  })
  if (!found) throw new NotFoundError(`job '${jobId}' not found`)
  return { status: status ?? 'suspended' }
}

/** A suspended approval outlived its step's timeout: it fails, `approval timed out`. */
export async function timeOutApproval(
  d: ServerStepDeps,
  jobId: string,
  stepId: string,
): Promise<void> {
  await moveOneStep(d, jobId, async (_job, steps) => {
    const step = steps.find((s) => s.id === stepId && s.status === 'suspended')
    if (!step) return null
    const move = moveStep(step, 'approval_timed_out', APPROVAL_TIMED_OUT)
    return { move, change: statusChangeOf(move, d.clock.now())! }
  })
}

/** Settles a job whose server-run step waited out a retry delay: the settle starts it. */
export async function startDueServerSteps(d: ServerStepDeps, jobId: string): Promise<void> {
  const fx = await withTransaction(d.db, async (trx) => {
    const locked = await lockJobWithSteps(trx, jobId, d.specs)
    const fx = new AfterCommit()
    if (!locked) return fx
    await settleAndWrite(trx, d.settleDeps(trx), locked.job, locked.steps, fx)
    await insertEvents(trx, fx.events)
    return fx
  })
  d.onCommitted(fx)
}
