/**
 * Ending a step's attempt (the hot path of every step). First optimistically, with no
 * transaction: read the job and its steps (one statement), decide (pure), then apply every write
 * in one statement fenced on the job row's version and the lease. A conflict (another finisher, a
 * cancel or the first claim wrote the job row in between) decides again on a fresh read; after a
 * few, or when the decision inserts jobs (hooks, a task retry), the locked path runs the same
 * decision inside a transaction holding the job row.
 */
import type { Kysely, Transaction } from 'kysely'
import { finishStepAttempt } from '../db/queries/finish-step-attempt.ts'
import { readQuietFinish } from '../db/queries/read-quiet-finish.ts'
import { lockJobWithSteps } from '../db/queries/lock-job-with-steps.ts'
import type { StepSpecCache } from '../db/queries/step-spec-cache.ts'
import type { DB } from '../db/schema.ts'
import { withTransaction } from '../db/transaction.ts'
import type { Clock } from '../shared/clock.ts'
import type { JobStatus, StepStatus } from '../shared/statuses.ts'
import { AfterCommit } from '../flow/after-commit.ts'
import { decideAttemptEnd } from '../flow/finish-attempt.ts'
import type { Job, StepOutcome, StepRun } from '../flow/job.ts'
import { announceStepMove } from '../flow/move-effects.ts'
import {
  JobWriteSet,
  NeedsTransaction,
  settleAndWrite,
  type SettleDeps,
} from './apply-settlement.ts'
import { maskOutcome, type JobSecrets } from './job-secrets.ts'

export type FinishResult =
  | {
      readonly ok: true
      readonly stepStatus: StepStatus
      readonly jobStatus: JobStatus
      /** With `chain.holdReady`: the steps this finish made claimable, whose wake-up was held. */
      readonly heldReady: ReadonlyArray<string>
    }
  | { readonly ok: false }

export interface FinishDeps {
  readonly db: Kysely<DB>
  /** readJobsWithSteps for one job (coalesced: finishes under load share the read). */
  readonly read: (
    jobId: string,
  ) => Promise<{ job: Job; steps: StepRun[]; version: string } | undefined>
  readonly clock: Clock
  readonly secrets: JobSecrets
  /** Deps for settling; `trx` null: no transaction, so inserting jobs must throw NeedsTransaction. */
  readonly settleDeps: (trx: Transaction<DB> | null) => SettleDeps
  readonly onCommitted: (fx: AfterCommit) => void
  /** Specs of big jobs' steps (their locked reads leave specs out). */
  readonly specs?: StepSpecCache
}

export interface FinishRequest {
  readonly stepId: string
  readonly jobId: string
  readonly leaseToken: string | null
  readonly outcome: StepOutcome
  /**
   * A remote worker's `complete` (see finishStepAttempt). `holdReady`: the caller claims right
   * after for the same worker, so this finish does not wake claimers for the steps it makes
   * ready; it reports which (heldReady) and the caller wakes claimers unless it took them all.
   */
  readonly chain?: { readonly seq: number; readonly holdReady?: boolean }
  /** The job as the claim left it (ClaimedJobInfo.snapshot): the first try needs no read. */
  readonly snapshot?: { job: Job; steps: StepRun[]; version: string } | null
}

/** Rolls back a locked finish whose fenced attempt update found the lease gone. */
class LeaseMoved extends Error {}

const OPTIMISTIC_TRIES = 3

export async function finishStep(d: FinishDeps, req: FinishRequest): Promise<FinishResult> {
  // A big job: try first the finish that reads a few rows instead of every step.
  if (!req.snapshot && d.specs?.isLight(req.jobId)) {
    const quiet = await finishQuietly(d, req)
    if (quiet) return quiet
  }
  for (let i = 0; i < OPTIMISTIC_TRIES; i++) {
    const read = i === 0 && req.snapshot ? req.snapshot : await d.read(req.jobId)
    if (!read) return { ok: false }
    let decided: Decision | null
    try {
      decided = await decide(d, req, read.job, read.steps, null)
    } catch (e) {
      if (e instanceof NeedsTransaction) break
      throw e
    }
    if (!decided) return { ok: false }
    const res = await finishStepAttempt(d.db, decided.end, decided.writes, read.version)
    if (res === 'lease_moved') return { ok: false }
    if (res === 'applied') return committed(d, req, decided)
  }
  return finishLocked(d, req)
}

async function finishLocked(d: FinishDeps, req: FinishRequest): Promise<FinishResult> {
  const decided = await withTransaction(d.db, async (trx) => {
    const locked = await lockJobWithSteps(trx, req.jobId, d.specs)
    if (!locked) return null
    const decided = await decide(d, req, locked.job, locked.steps, trx)
    if (!decided) return null
    // The lease moved on (a remote worker's chain) after the read: undo whatever was written.
    if ((await finishStepAttempt(trx, decided.end, decided.writes)) !== 'applied')
      throw new LeaseMoved()
    return decided
  }).catch((e: unknown) => {
    if (e instanceof LeaseMoved) return null
    throw e
  })
  return decided ? committed(d, req, decided) : { ok: false }
}

interface Decision {
  readonly fx: AfterCommit
  readonly end: Parameters<typeof finishStepAttempt>[1]
  readonly writes: Parameters<typeof finishStepAttempt>[2]
  readonly stepStatus: StepStatus
  readonly jobStatus: JobStatus
}

/** Null when the step is not running under this lease (nothing to do: 409 lease_expired). */
async function decide(
  d: FinishDeps,
  req: FinishRequest,
  job: Job,
  steps: ReadonlyArray<StepRun>,
  trx: Transaction<DB> | null,
): Promise<Decision | null> {
  const { stepId, jobId, leaseToken, chain } = req
  const step = steps.find((s) => s.id === stepId)
  if (!step || step.status !== 'running' || (leaseToken !== null && step.leaseToken !== leaseToken))
    return null
  const now = d.clock.now()
  // Nothing secret reaches the step row, the job row, events or `_server` lines.
  const masked = maskOutcome(req.outcome, d.secrets.of(job).scrubber)
  const end = decideAttemptEnd(job, step, masked, now)
  const fx = new AfterCommit()
  announceStepMove(fx, job, end.move, end.details)
  const updated = steps.map((s): StepRun => (s.id === stepId ? { ...s, ...end.patch } : s))
  const writes = new JobWriteSet()
  const jobStatus = await settleAndWrite(trx ?? d.db, d.settleDeps(trx), job, updated, fx, writes)
  const reply = { step_status: end.attempt.status, job_status: jobStatus }
  return {
    fx,
    end: { stepId, leaseToken, ...end.attempt, chain: chain && { seq: chain.seq, reply } },
    writes: { jobId, stepChanges: writes.stepChanges, jobPatch: writes.patch, events: fx.events },
    stepStatus: end.attempt.status,
    jobStatus,
  }
}

/**
 * The end of an attempt that moves nothing else (readQuietFinish): only the attempt's own end is
 * written, fenced on the job's version. Null when the end could move more (or the job changed
 * meanwhile): the caller takes the full path.
 */
async function finishQuietly(d: FinishDeps, req: FinishRequest): Promise<FinishResult | null> {
  const ctx = await readQuietFinish(d.db, req.jobId, req.stepId)
  if (!ctx?.quiet || ctx.job.status !== 'running') return null
  const { job, step } = ctx
  if (step.status !== 'running' || (req.leaseToken !== null && step.leaseToken !== req.leaseToken))
    return { ok: false }
  const masked = maskOutcome(req.outcome, d.secrets.of(job).scrubber)
  const end = decideAttemptEnd(job, step, masked, d.clock.now())
  const fx = new AfterCommit()
  announceStepMove(fx, job, end.move, end.details)
  const reply = { step_status: end.attempt.status, job_status: job.status }
  const decided: Decision = {
    fx,
    end: {
      stepId: req.stepId,
      leaseToken: req.leaseToken,
      ...end.attempt,
      chain: req.chain && { seq: req.chain.seq, reply },
    },
    writes: { jobId: req.jobId, stepChanges: [], jobPatch: {}, events: fx.events },
    stepStatus: end.attempt.status,
    jobStatus: job.status,
  }
  const res = await finishStepAttempt(d.db, decided.end, decided.writes, ctx.version)
  if (res === 'lease_moved') return { ok: false }
  return res === 'applied' ? committed(d, req, decided) : null
}

function committed(d: FinishDeps, req: FinishRequest, decided: Decision): FinishResult {
  const { fx } = decided
  const heldReady = req.chain?.holdReady ? fx.readySteps : []
  if (heldReady.length > 0) fx.readySteps = []
  d.onCommitted(fx)
  return { ok: true, stepStatus: decided.stepStatus, jobStatus: decided.jobStatus, heldReady }
}
