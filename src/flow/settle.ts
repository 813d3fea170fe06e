/**
 * Settling a job after its steps changed (pure): pending steps advance (skip, `when`, ready, in
 * cascades), the job's status is rolled up from its steps, and the job moves through the job
 * table: `start` once a step was claimed, then `complete` / `fail` / `stopped` when every step is
 * terminal. Ending a job decides its follow-up jobs too: the task's next attempt (`retry` on a
 * task) or its hooks. The caller persists the result in the job's transaction.
 */
import { isTerminalJobStatus, type JobStatus } from '../shared/statuses.ts'
import type { Workspace } from '../workspace/workspace.ts'
import { AfterCommit } from './after-commit.ts'
import { advanceSteps } from './advance-steps.ts'
import { planHookJobs } from './hooks.ts'
import type { Job, StepRun } from './job.ts'
import { deriveJobStatus, failedStepsMessage, jobOutput, type StepSnapshot } from './job-status.ts'
import {
  announceJobMove,
  announceStepMove,
  errorOf,
  JOB_TIMED_OUT,
  jobChangesOf,
  moveJob,
  statusChangeOf,
  type JobChanges,
  type StepMove,
  type StepStatusChange,
} from './move-effects.ts'
import type { PlannedJob } from './plan-job.ts'
import { endingEvent } from './state-machine.ts'
import { planTaskRetry } from './task-retry.ts'

export interface SettleContext {
  readonly now: Date
  /** The workspace version the job was planned from (undefined: gone, no follow-up jobs). */
  readonly workspace: Workspace | undefined
  /** Masks the job's secrets in reasons that are stored (a failed `when` can quote them). */
  readonly scrub: (text: string) => string
  readonly newJobId: () => string
  readonly newStepId: () => string
  readonly defaults: { readonly stepTimeoutSecs: number; readonly jobTimeoutSecs: number | null }
}

export interface Settlement {
  readonly status: JobStatus
  /** Writes to steps that are not running (the advance's moves). */
  readonly stepChanges: ReadonlyArray<StepStatusChange>
  /** Writes to the job row (empty: none). */
  readonly jobChanges: JobChanges
  /** Lines, events, wake-ups and the log end, run after the commit. */
  readonly fx: AfterCommit
  /** Jobs to insert in the same transaction: the task's next attempt, or hook jobs. */
  readonly newJobs: ReadonlyArray<PlannedJob>
}

export function snapshotOf(s: StepRun): StepSnapshot {
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

/** Settles a job whose steps are `steps` (already including the change that prompted it). */
export function settleJob(job: Job, steps: ReadonlyArray<StepRun>, ctx: SettleContext): Settlement {
  const fx = new AfterCommit()
  let current = [...steps]
  let stepChanges: StepStatusChange[] = []
  // A cancelled or timed-out job starts nothing new: its waiting steps were ended with it.
  if (job.cancelRequestedAt === null && job.errorMessage !== JOB_TIMED_OUT) {
    const moves = advanceSteps(
      current.map((s) => ({
        id: s.id,
        name: s.name,
        attempt: s.attempt,
        status: s.status,
        dependsOn: s.dependsOn,
        continueOnFailure: s.spec.continueOnFailure,
        when: s.spec.when,
        output: s.output,
        errorMessage: s.errorMessage,
      })),
      { input: job.input, secret: ctx.workspace?.secrets ?? {}, now: ctx.now },
    ).map((m): StepMove => (m.reason === null ? m : { ...m, reason: ctx.scrub(m.reason) }))
    stepChanges = moves.flatMap((m) => statusChangeOf(m, ctx.now) ?? [])
    for (const m of moves) announceStepMove(fx, job, m)
    const byName = new Map(moves.map((m) => [m.name, m]))
    current = current.map((s) => {
      const m = byName.get(s.name)
      return m ? { ...s, status: m.to, errorMessage: errorOf(m) ?? s.errorMessage } : s
    })
  }
  const everClaimed = current.some((s) => s.claimedAt !== null)
  const status = deriveJobStatus(current.map(snapshotOf), {
    cancelRequested: job.cancelRequestedAt !== null,
    everClaimed,
    timedOut: job.errorMessage === JOB_TIMED_OUT,
  })
  let jobChanges: JobChanges = {}
  let at: Job = job
  // A claim that found this row locked left the job `pending`: it starts here, exactly once.
  if (job.status === 'pending' && everClaimed && status !== 'pending') {
    const start = moveJob(job, 'start')
    jobChanges = jobChangesOf(start, { now: ctx.now })
    announceJobMove(fx, job, start, { now: ctx.now })
    at = { ...job, status: start.to, startedAt: job.startedAt ?? ctx.now }
  }
  if (!isTerminalJobStatus(status)) return { status, stepChanges, jobChanges, fx, newJobs: [] }
  const ended = endJob(at, current, status as 'completed' | 'failed' | 'cancelled', ctx)
  fx.merge(ended.fx)
  return {
    status,
    stepChanges,
    jobChanges: { ...jobChanges, ...ended.jobChanges },
    fx,
    newJobs: ended.newJobs,
  }
}

/**
 * Ends a job whose steps are all terminal with the rolled-up `status`: the job's row, its
 * `job.finished` event and log end, and its follow-up jobs (exactly once: the caller holds the
 * job row and a terminal job never moves again).
 */
export function endJob(
  job: Job,
  steps: ReadonlyArray<StepRun>,
  status: 'completed' | 'failed' | 'cancelled',
  ctx: SettleContext,
): Omit<Settlement, 'status' | 'stepChanges'> {
  const fx = new AfterCommit()
  const move = moveJob(job, endingEvent(status))
  const snaps = steps.map(snapshotOf)
  const errorMessage = job.errorMessage ?? (status === 'failed' ? failedStepsMessage(snaps) : null)
  const startedAt = job.startedAt ?? (steps.some((s) => s.claimedAt) ? ctx.now : null)
  const details = { now: ctx.now, output: jobOutput(snaps), errorMessage, startedAt }
  const jobChanges = jobChangesOf(move, details)
  announceJobMove(fx, job, move, details)
  const newJobs: PlannedJob[] = []
  const ws = ctx.workspace
  // Hook jobs have no follow-ups of their own: a hook chain cannot feed itself.
  if (ws && job.sourceType !== 'hook') {
    const retry = move.effects.includes('task_retry') ? taskRetry(job, ws, ctx, fx) : null
    if (retry) newJobs.push(retry)
    else if (move.effects.includes('hooks'))
      newJobs.push(
        ...hooks({ ...job, status, startedAt, completedAt: ctx.now }, snaps, ws, ctx, fx),
      )
  }
  return { jobChanges, fx, newJobs }
}

/** The failed job's next attempt, when its task has `retry` left; hooks wait for the last one. */
function taskRetry(
  job: Job,
  ws: Workspace,
  ctx: SettleContext,
  fx: AfterCommit,
): PlannedJob | null {
  const plan = planTaskRetry({
    job,
    workspace: ws,
    now: ctx.now,
    newJobId: ctx.newJobId,
    newStepId: ctx.newStepId,
    defaultStepTimeoutSecs: ctx.defaults.stepTimeoutSecs,
    defaultJobTimeoutSecs: ctx.defaults.jobTimeoutSecs,
  })
  if (!plan) return null
  fx.wakeAt.push(new Date(ctx.now.getTime() + plan.delayMs))
  const secs = Math.round(plan.delayMs / 100) / 10
  fx.line(
    job.id,
    `task retry: job ${plan.job.id} created (attempt ${plan.attempt}/${plan.maxAttempts}), starts in ${secs}s`,
  )
  return plan.job
}

function hooks(
  job: Job,
  snaps: ReadonlyArray<StepSnapshot>,
  ws: Workspace,
  ctx: SettleContext,
  fx: AfterCommit,
): PlannedJob[] {
  const plan = planHookJobs({
    job,
    steps: snaps,
    workspace: ws,
    taskHooks: ws.tasks.get(job.taskName)?.hooks ?? { onSuccess: [], onError: [], onCancel: [] },
    now: ctx.now,
    newJobId: ctx.newJobId,
    newStepId: ctx.newStepId,
    defaultStepTimeoutSecs: ctx.defaults.stepTimeoutSecs,
  })
  for (const problem of plan.problems) fx.line(job.id, problem, 'stderr')
  for (const h of plan.jobs) fx.line(job.id, `hook job ${h.id} created (${h.taskName})`)
  return plan.jobs
}
