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
import { NO_TASK_HOOKS, planHookJobs, type HookArtifact } from './hooks.ts'
import type { Job, StepRun } from './job.ts'
import { deriveJobStatus, failedStepsMessage, jobOutput, type StepSnapshot } from './job-status.ts'
import {
  announceJobMove,
  announceStepMove,
  errorOf,
  JOB_TIMED_OUT,
  jobChangesOf,
  mergeChanges,
  moveJob,
  statusChangeOf,
  type JobChanges,
  type StepMove,
  type StepStatusChange,
} from './move-effects.ts'
import type { PlannedJob, PlannedStep } from './plan-job.ts'
import { endLoops, startServerSteps, type ServerStepContext } from './server-steps.ts'
import { endingEvent } from './state-machine.ts'
import { planTaskRetry } from './task-retry.ts'

export interface SettleContext {
  readonly now: Date
  /** The workspace version the job was planned from (undefined: gone, no follow-up jobs). */
  readonly workspace: Workspace | undefined
  /** Masks the job's secrets in reasons that are stored (a failed `when` can quote them). */
  readonly scrub: (text: string) => string
  /** The same for stored JSON (rendered inputs). */
  readonly scrubJson: (value: unknown) => unknown
  readonly newJobId: () => string
  readonly newStepId: () => string
  readonly defaults: { readonly stepTimeoutSecs: number; readonly jobTimeoutSecs: number | null }
  /**
   * The job's artifacts for `hook.artifacts`. The IO layer loads them only once a settle has
   * planned hook jobs for the job's end, and settles again with them (apply-settlement.ts).
   */
  readonly artifacts?: ReadonlyArray<HookArtifact>
}

export interface Settlement {
  readonly status: JobStatus
  /** Writes to steps that are not running (the advance's moves). */
  readonly stepChanges: ReadonlyArray<StepStatusChange>
  /** Writes to the job row (empty: none). */
  readonly jobChanges: JobChanges
  /** Lines, events, wake-ups and the log end, run after the commit. */
  readonly fx: AfterCommit
  /** Jobs to insert in the same transaction: children, the task's next attempt, hook jobs. */
  readonly newJobs: ReadonlyArray<PlannedJob>
  /** Steps to insert into this job first (loop instances). */
  readonly newSteps: ReadonlyArray<PlannedStep>
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
    loopSource: s.loopSource,
  }
}

/** A planned step (a loop instance just made) as the row it becomes. */
function stepRunOf(jobId: string, p: PlannedStep): StepRun {
  return {
    id: p.id,
    jobId,
    name: p.name,
    position: p.position,
    actionName: p.actionName,
    actionType: p.actionType,
    runner: p.runner,
    status: p.status,
    spec: p.spec,
    dependsOn: p.dependsOn,
    input: p.input,
    output: null,
    exitCode: null,
    errorMessage: p.errorMessage,
    attempt: 1,
    workerId: null,
    leaseToken: null,
    leaseExpiresAt: null,
    stopReason: null,
    readyAt: p.readyAt,
    claimedAt: null,
    startedAt: null,
    completedAt: p.completedAt,
    suspendedAt: null,
    loopSource: p.loop?.source ?? null,
    loopIndex: p.loop?.index ?? null,
    loopTotal: p.loop?.total ?? null,
    childJobId: null,
  }
}

/** The step as a move leaves it (what later decisions in the same settle see). */
function applyMove(s: StepRun, m: StepMove, change: StepStatusChange | null, now: Date): StepRun {
  return {
    ...s,
    status: m.to,
    errorMessage: errorOf(m) ?? (m.to === 'completed' ? null : s.errorMessage),
    ...(m.output !== undefined ? { output: m.output } : {}),
    ...(change?.startedAt ? { claimedAt: change.startedAt, startedAt: change.startedAt } : {}),
    ...(change?.suspendedAt ? { suspendedAt: change.suspendedAt } : {}),
    ...(change?.childJobId ? { childJobId: change.childJobId } : {}),
    ...(m.to === 'ready' ? { readyAt: change?.readyAt ?? now } : {}),
  }
}

/** Most rounds of advance, server starts and loop ends in one settle (each round moves a step). */
function roundLimit(steps: number): number {
  return 2 * steps + 10
}

/**
 * Settles a job whose steps are `steps` (already including the change that prompted it): until
 * nothing moves, pending steps advance, ready server-run steps start (loops expand, task steps
 * start children, approvals suspend) and loops whose instances are done end; then the job rolls
 * up and moves (start, end).
 */
export function settleJob(job: Job, steps: ReadonlyArray<StepRun>, ctx: SettleContext): Settlement {
  const fx = new AfterCommit()
  let current = [...steps]
  const stepChanges: StepStatusChange[] = []
  const newSteps: PlannedStep[] = []
  const newJobs: PlannedJob[] = []
  // A cancelled or timed-out job starts nothing new: its waiting steps were ended with it.
  const open = job.cancelRequestedAt === null && job.errorMessage !== JOB_TIMED_OUT
  const server: ServerStepContext = { ...ctx, job }
  for (let round = 0; round < roundLimit(current.length); round++) {
    let moved = 0
    const apply = (moves: ReadonlyArray<StepMove>, changes: ReadonlyArray<StepStatusChange>) => {
      const byStep = new Map(changes.map((c) => [c.stepId, c]))
      const byId = new Map(moves.map((m) => [m.stepId, m]))
      current = current.map((s) => {
        const m = byId.get(s.id)
        return m ? applyMove(s, m, byStep.get(s.id) ?? null, ctx.now) : s
      })
      stepChanges.push(...changes)
      moved += moves.length
    }
    if (open) {
      const moves = advanceSteps(current.map(advanceViewOf), {
        input: job.input,
        secret: ctx.workspace?.secrets ?? {},
        now: ctx.now,
      }).map((m): StepMove => (m.reason === null ? m : { ...m, reason: ctx.scrub(m.reason) }))
      for (const m of moves) announceStepMove(fx, job, m)
      apply(
        moves,
        moves.flatMap((m) => statusChangeOf(m, ctx.now) ?? []),
      )
      const started = startServerSteps(current, server)
      for (const m of started.moves) announceStepMove(fx, job, m, started.details.get(m.stepId))
      for (const l of started.lines) fx.line(job.id, l.line, l.stream)
      apply(started.moves, started.changes)
      newSteps.push(...started.newSteps)
      newJobs.push(...started.newJobs)
      current.push(...started.newSteps.map((p) => stepRunOf(job.id, p)))
      moved += started.newSteps.length
    }
    const ended = endLoops(current, server)
    for (const m of ended.moves) announceStepMove(fx, job, m)
    apply(ended.moves, ended.changes)
    if (moved === 0) break
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
  const result = {
    status,
    stepChanges: mergeChanges(stepChanges),
    newSteps,
    jobChanges,
    fx,
    newJobs,
  }
  if (!isTerminalJobStatus(status)) return result
  const end = endJob(at, current, status as 'completed' | 'failed' | 'cancelled', ctx)
  fx.merge(end.fx)
  return {
    ...result,
    jobChanges: { ...jobChanges, ...end.jobChanges },
    newJobs: [...newJobs, ...end.newJobs],
  }
}

function advanceViewOf(s: StepRun) {
  return {
    id: s.id,
    name: s.name,
    attempt: s.attempt,
    status: s.status,
    dependsOn: s.dependsOn,
    continueOnFailure: s.spec.continueOnFailure,
    when: s.spec.when,
    output: s.output,
    errorMessage: s.errorMessage,
    loopSource: s.loopSource,
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
  const details = {
    now: ctx.now,
    output: jobOutput(snaps),
    errorMessage,
    startedAt,
    parentJobId: job.parentJobId,
  }
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
  return { jobChanges, fx, newJobs, newSteps: [] }
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
    taskHooks: ws.tasks.get(job.taskName)?.hooks ?? NO_TASK_HOOKS,
    now: ctx.now,
    newJobId: ctx.newJobId,
    newStepId: ctx.newStepId,
    defaultStepTimeoutSecs: ctx.defaults.stepTimeoutSecs,
    defaultJobTimeoutSecs: ctx.defaults.jobTimeoutSecs,
    artifacts: ctx.artifacts,
  })
  for (const problem of plan.problems) fx.line(job.id, problem, 'stderr')
  for (const h of plan.jobs) fx.line(job.id, `hook job ${h.id} created (${h.taskName})`)
  return plan.jobs
}
