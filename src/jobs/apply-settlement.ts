/**
 * Persists what flow/settle.ts decided, inside the job's transaction: the advanced steps, the job
 * row and the follow-up jobs (hooks, a task's next attempt). With a JobWriteSet the step and job
 * writes are collected instead, for a caller that applies them in its own last statement (the
 * finish: finishStepAttempt).
 */
import type { Kysely, Transaction } from 'kysely'
import { listStepsOfJob, lockJobForUpdate, updateJob } from '../db/repositories/job.repository.ts'
import { applyStepChanges } from '../db/repositories/step-run.repository.ts'
import type { DB } from '../db/schema.ts'
import { AfterCommit } from '../flow/after-commit.ts'
import type { HookArtifact } from '../flow/hooks.ts'
import type { Job, StepRun } from '../flow/job.ts'
import type { JobChanges, StepStatusChange } from '../flow/move-effects.ts'
import type { PlannedJob, PlannedStep } from '../flow/plan-job.ts'
import { endJob, settleJob, type SettleContext } from '../flow/settle.ts'
import type { Clock } from '../shared/clock.ts'
import { maskJsonStrings } from '../shared/secret-mask.ts'
import { newJobId, newStepRunId } from '../shared/ids.ts'
import type { JobStatus } from '../shared/statuses.ts'
import type { Workspace } from '../workspace/workspace.ts'
import type { JobSecrets } from './job-secrets.ts'

export interface SettleDeps {
  readonly clock: Clock
  readonly workspaceFor: (name: string, revision: string) => Workspace | undefined
  /** Masks secrets in the reasons of failed `when` conditions before they are stored. */
  readonly secrets: JobSecrets
  readonly defaults: { readonly stepTimeoutSecs: number; readonly jobTimeoutSecs: number | null }
  /**
   * Inserts follow-up jobs (children, hooks, a task's next attempt) and steps (loop instances)
   * in the caller's transaction; without one (an optimistic finish) they throw NeedsTransaction,
   * and the caller takes the locked path.
   */
  readonly insertJobs: (jobs: ReadonlyArray<PlannedJob>) => Promise<AfterCommit>
  readonly insertSteps: (jobId: string, steps: ReadonlyArray<PlannedStep>) => Promise<void>
  /** The job's artifacts for its hooks (without a transaction it throws NeedsTransaction). */
  readonly artifactsOf: (jobId: string) => Promise<ReadonlyArray<HookArtifact>>
}

/** Thrown by insertJobs when there is no transaction: take the locked path. */
export class NeedsTransaction extends Error {}

/** Writes collected for the finish statement instead of executed. */
export class JobWriteSet {
  readonly stepChanges: StepStatusChange[] = []
  patch: JobChanges = {}

  job(p: JobChanges): void {
    this.patch = { ...this.patch, ...p }
  }
}

function contextOf(deps: SettleDeps, job: Job): SettleContext {
  const scrubber = deps.secrets.of(job).scrubber
  return {
    now: deps.clock.now(),
    workspace: deps.workspaceFor(job.workspace, job.revision),
    scrub: (text) => scrubber.scrub(text),
    scrubJson: (value) => maskJsonStrings(value, scrubber),
    newJobId,
    newStepId: newStepRunId,
    defaults: deps.defaults,
  }
}

function isEmpty(changes: JobChanges): boolean {
  return Object.keys(changes).length === 0
}

/** Settles the job (flow/settle.ts) and persists the result; returns its status. */
export async function settleAndWrite(
  trx: Kysely<DB>,
  deps: SettleDeps,
  job: Job,
  steps: ReadonlyArray<StepRun>,
  fx: AfterCommit,
  writes?: JobWriteSet,
): Promise<JobStatus> {
  const ctx = contextOf(deps, job)
  let s = settleJob(job, steps, ctx)
  // Hooks of the job's end see its artifacts: loaded only when the end planned hooks.
  if (s.newJobs.some((j) => j.source.type === 'hook' && j.source.id === job.id)) {
    const artifacts = await deps.artifactsOf(job.id)
    if (artifacts.length > 0) s = settleJob(job, steps, { ...ctx, artifacts })
  }
  fx.merge(s.fx)
  // New steps first: the changes decided with them may already move them.
  if (s.newSteps.length > 0) await deps.insertSteps(job.id, s.newSteps)
  if (writes) {
    writes.stepChanges.push(...s.stepChanges)
    writes.job(s.jobChanges)
  } else {
    await applyStepChanges(trx, s.stepChanges)
    if (!isEmpty(s.jobChanges)) await updateJob(trx, job.id, s.jobChanges)
  }
  if (s.newJobs.length > 0) fx.merge(await deps.insertJobs(s.newJobs))
  return s.status
}

/**
 * Ends a job that was planned terminal (every step skipped or failed at creation), right after
 * its insert: it moves from `pending` to its end in the same transaction, with its hooks.
 */
export async function endPlannedJob(
  trx: Transaction<DB>,
  deps: SettleDeps,
  jobId: string,
  status: 'completed' | 'failed' | 'cancelled',
): Promise<AfterCommit> {
  const job = await lockJobForUpdate(trx, jobId)
  if (!job) throw new Error(`job ${jobId} vanished inside its creating transaction`)
  const steps = await listStepsOfJob(trx, jobId)
  const ended = endJob({ ...job, status: 'pending' }, steps, status, contextOf(deps, job))
  await updateJob(trx, jobId, ended.jobChanges)
  if (ended.newJobs.length > 0) ended.fx.merge(await deps.insertJobs(ended.newJobs))
  return ended.fx
}

/**
 * Starts the steps the server runs that a new job has ready from the start (a root loop, task or
 * approval step), right after its insert, in the same transaction.
 */
export async function startPlannedJob(
  trx: Transaction<DB>,
  deps: SettleDeps,
  jobId: string,
): Promise<AfterCommit> {
  const job = await lockJobForUpdate(trx, jobId)
  if (!job) throw new Error(`job ${jobId} vanished inside its creating transaction`)
  const steps = await listStepsOfJob(trx, jobId)
  const fx = new AfterCommit()
  await settleAndWrite(trx, deps, job, steps, fx)
  return fx
}
