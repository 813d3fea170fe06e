/**
 * After a step changed, inside the job's transaction: advance pending steps, derive the job
 * status and, when it became terminal, finish the job and insert its hook jobs (exactly once,
 * since the job row is locked and a terminal job never changes again).
 */
import type { Kysely } from 'kysely'
import { updateJob, type JobPatch } from '../db/repositories/job.repository.ts'
import { applyStepChanges, type StepStatusChange } from '../db/repositories/step-run.repository.ts'
import type { DB } from '../db/schema.ts'
import type { Clock } from '../shared/clock.ts'
import type { Logger } from '../shared/logger.ts'
import { isTerminalJobStatus, type JobStatus } from '../shared/statuses.ts'
import type { Workspace } from '../workspace/workspace.ts'
import { AfterCommit } from './after-commit.ts'
import { advanceSteps } from '../flow/advance-steps.ts'
import { JOB_TIMED_OUT } from '../flow/finish-attempt.ts'
import type { JobSecrets } from './job-secrets.ts'
import type { Job, StepRun } from '../flow/job.ts'
import { jobStartedEvent, stepFinishedEvent } from '../flow/job-events.ts'
import {
  deriveJobStatus,
  failedStepsMessage,
  jobOutput,
  type StepSnapshot,
} from '../flow/job-status.ts'
import { planHookJobs } from '../flow/plan-hooks.ts'
import { planTaskRetry } from '../flow/task-retry.ts'
import type { PlannedJob } from '../flow/plan-job.ts'
import { newJobId, newStepRunId } from '../shared/ids.ts'

export interface FinalizeDeps {
  readonly clock: Clock
  readonly logger: Logger
  readonly workspaceFor: (name: string, revision: string) => Workspace | undefined
  /** Masks secrets in the reasons of failed `when` conditions before they are stored. */
  readonly secrets: JobSecrets
  readonly defaults: { readonly stepTimeoutSecs: number; readonly jobTimeoutSecs: number | null }
  readonly insertHookJobs: (
    trx: Kysely<DB>,
    jobs: ReadonlyArray<PlannedJob>,
  ) => Promise<AfterCommit>
}

/**
 * Writes to the settled job collected instead of executed, for a caller that applies them in its
 * own last statement (the finish path: finishStepAttempt). Without one, they run at once.
 */
export class JobWriteSet {
  readonly stepChanges: StepStatusChange[] = []
  patch: JobPatch = {}

  job(p: JobPatch): void {
    this.patch = { ...this.patch, ...p }
  }
}

async function writeSteps(
  trx: Kysely<DB>,
  writes: JobWriteSet | undefined,
  changes: ReadonlyArray<StepStatusChange>,
): Promise<void> {
  if (writes) writes.stepChanges.push(...changes)
  else await applyStepChanges(trx, changes)
}

async function writeJob(
  trx: Kysely<DB>,
  writes: JobWriteSet | undefined,
  id: string,
  p: JobPatch,
): Promise<void> {
  if (writes) writes.job(p)
  else await updateJob(trx, id, p)
}

function snapshot(s: StepRun): StepSnapshot {
  return {
    name: s.name,
    status: s.status,
    continueOnFailure: s.spec.continueOnFailure,
    output: s.output,
    errorMessage: s.errorMessage,
    actionName: s.actionName,
    dependsOn: s.dependsOn,
  }
}

export async function settleJob(
  trx: Kysely<DB>,
  deps: FinalizeDeps,
  job: Job,
  steps: ReadonlyArray<StepRun>,
  fx: AfterCommit,
  writes?: JobWriteSet,
): Promise<JobStatus> {
  let current = [...steps]
  if (job.cancelRequestedAt === null && job.errorMessage !== JOB_TIMED_OUT) {
    const ws = deps.workspaceFor(job.workspace, job.revision)
    const scrubber = deps.secrets.of(job).scrubber
    const changes = advanceSteps(
      current.map((s) => ({
        name: s.name,
        status: s.status,
        dependsOn: s.dependsOn,
        continueOnFailure: s.spec.continueOnFailure,
        when: s.spec.when,
        output: s.output,
        errorMessage: s.errorMessage,
      })),
      { input: job.input, secret: ws?.secrets ?? {} },
    ).map((c) => (c.reason === null ? c : { ...c, reason: scrubber.scrub(c.reason) }))
    const now = deps.clock.now()
    const byName = new Map(current.map((s) => [s.name, s]))
    await writeSteps(
      trx,
      writes,
      changes.map((c) => ({
        stepId: byName.get(c.name)!.id,
        status: c.to,
        errorMessage: c.to === 'failed' ? c.reason : null,
        readyAt: c.to === 'ready' ? now : null,
      })),
    )
    for (const c of changes) {
      if (c.to === 'ready') {
        fx.ready = true
        continue
      }
      fx.line(
        job.id,
        `step ${c.name} ${c.to}${c.reason ? `: ${c.reason}` : ''}`,
        c.to === 'failed' ? 'stderr' : 'stdout',
      )
      const step = byName.get(c.name)!
      fx.events.push(stepFinishedEvent(job, step, c.to, c.to === 'failed' ? c.reason : null))
    }
    const changed = new Map(changes.map((c) => [c.name, c]))
    current = current.map((s) => {
      const c = changed.get(s.name)
      return c
        ? { ...s, status: c.to, errorMessage: c.to === 'failed' ? c.reason : s.errorMessage }
        : s
    })
  }
  const everClaimed = current.some((s) => s.claimedAt !== null)
  const status = deriveJobStatus(current.map(snapshot), {
    cancelRequested: job.cancelRequestedAt !== null,
    everClaimed,
    timedOut: job.errorMessage === JOB_TIMED_OUT,
  })
  // A claim that found this row locked left the job `pending`: it starts here, exactly once.
  if (
    job.status === 'pending' &&
    (status === 'running' || (isTerminalJobStatus(status) && everClaimed))
  )
    fx.events.push(jobStartedEvent(job))
  if (isTerminalJobStatus(status))
    fx.merge(await finalizeJob(trx, deps, job, current, status, writes))
  else if (status === 'running' && job.status === 'pending')
    await writeJob(trx, writes, job.id, { status, startedAt: deps.clock.now() })
  return status
}

/** Marks the job terminal with its output and error, queues the log end and inserts hook jobs. */
export async function finalizeJob(
  trx: Kysely<DB>,
  deps: FinalizeDeps,
  job: Job,
  steps: ReadonlyArray<StepRun>,
  status: JobStatus,
  writes?: JobWriteSet,
): Promise<AfterCommit> {
  const fx = new AfterCommit()
  const now = deps.clock.now()
  const snaps = steps.map(snapshot)
  const errorMessage = job.errorMessage ?? (status === 'failed' ? failedStepsMessage(snaps) : null)
  await writeJob(trx, writes, job.id, {
    status,
    completedAt: now,
    output: jobOutput(snaps),
    errorMessage,
  })
  const startedAt = job.startedAt ?? (steps.some((s) => s.claimedAt) ? now : null)
  fx.event('job.finished', {
    job_id: job.id,
    workspace: job.workspace,
    task_name: job.taskName,
    status,
    started_at: startedAt?.toISOString() ?? null,
    completed_at: now.toISOString(),
  })
  fx.ends.push({
    jobId: job.id,
    status,
    line: `job ${status}${status === 'failed' && errorMessage ? `: ${errorMessage.split('\n')[0]}` : ''}`,
  })
  const ws = deps.workspaceFor(job.workspace, job.revision)
  if (!ws || job.sourceType === 'hook') return fx
  if (status === 'failed' && (await scheduleTaskRetry(trx, deps, job, ws, fx))) return fx
  const plan = planHookJobs({
    job: { ...job, status, startedAt, completedAt: now },
    steps: snaps,
    workspace: ws,
    taskHooks: ws.tasks.get(job.taskName)?.hooks ?? { onSuccess: [], onError: [], onCancel: [] },
    now,
    newJobId,
    newStepId: newStepRunId,
    defaultStepTimeoutSecs: deps.defaults.stepTimeoutSecs,
  })
  for (const problem of plan.problems) fx.line(job.id, problem, 'stderr')
  if (plan.jobs.length > 0) {
    fx.merge(await deps.insertHookJobs(trx, plan.jobs))
    for (const h of plan.jobs) fx.line(job.id, `hook job ${h.id} created (${h.taskName})`)
  }
  return fx
}

/** A failed job whose task has `retry` left gets its next attempt; hooks wait for the last one. */
async function scheduleTaskRetry(
  trx: Kysely<DB>,
  deps: FinalizeDeps,
  job: Job,
  ws: Workspace,
  fx: AfterCommit,
): Promise<boolean> {
  const plan = planTaskRetry({
    job,
    workspace: ws,
    now: deps.clock.now(),
    newJobId,
    newStepId: newStepRunId,
    defaultStepTimeoutSecs: deps.defaults.stepTimeoutSecs,
    defaultJobTimeoutSecs: deps.defaults.jobTimeoutSecs,
  })
  if (!plan) return false
  fx.merge(await deps.insertHookJobs(trx, [plan.job]))
  const at = new Date(deps.clock.now().getTime() + plan.delayMs)
  fx.wakeAt.push(at)
  const secs = Math.round(plan.delayMs / 100) / 10
  fx.line(
    job.id,
    `task retry: job ${plan.job.id} created (attempt ${plan.attempt}/${plan.maxAttempts}), starts in ${secs}s`,
  )
  return true
}
