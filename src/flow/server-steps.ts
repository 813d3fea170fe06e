/**
 * Steps the server runs itself, started when they are ready (in the transaction that made them
 * ready, or by the sweeper once a retry delay passes): a loop step expands into its instances, a
 * `type: task` step starts its child job, a `type: approval` step suspends with its message. A
 * running loop step ends once its instances have. Pure: the caller persists what comes out.
 */
import { renderRecord, renderTemplate } from '../templates/render.ts'
import type { Workspace } from '../workspace/workspace.ts'
import { conditionContext } from './advance-steps.ts'
import { NO_TASK_HOOKS, planSuspendedHooks } from './hooks.ts'
import type { Job, StepRun } from './job.ts'
import { loopInstances, loopItems, loopOutcome } from './loops.ts'
import {
  moveStep,
  serverChangeOf,
  type StepAnnounceDetails,
  type StepMove,
  type StepStatusChange,
} from './move-effects.ts'
import type { PlannedJob, PlannedStep } from './plan-job.ts'
import { stepKind } from './step-spec.ts'
import { planChildJob } from './sub-tasks.ts'

export interface ServerStepContext {
  readonly job: Job
  readonly workspace: Workspace | undefined
  readonly now: Date
  readonly newJobId: () => string
  readonly newStepId: () => string
  readonly defaults: { readonly stepTimeoutSecs: number; readonly jobTimeoutSecs: number | null }
  /** Masks the job's secrets in what is stored (rendered inputs, messages, reasons). */
  readonly scrub: (text: string) => string
  readonly scrubJson: (value: unknown) => unknown
}

/** What starting or ending server-run steps produced, for the caller to persist. */
export interface ServerWork {
  readonly moves: StepMove[]
  readonly changes: StepStatusChange[]
  /** Loop instances to insert into the job. */
  readonly newSteps: PlannedStep[]
  /** Child jobs and `on_suspended` hook jobs to insert. */
  readonly newJobs: PlannedJob[]
  /** What the announcement of a move needs beyond the move (by step id). */
  readonly details: Map<string, StepAnnounceDetails>
  /** `_server` lines that follow the moves' own (hook jobs made for a suspension). */
  readonly lines: Array<{ readonly line: string; readonly stream: 'stdout' | 'stderr' }>
}

function noWork(): ServerWork {
  return { moves: [], changes: [], newSteps: [], newJobs: [], details: new Map(), lines: [] }
}

/** The steps a server-run step's start can see in templates: `when`'s context plus `each`. */
function templateContext(steps: ReadonlyArray<StepRun>, step: StepRun, ctx: ServerStepContext) {
  const base = conditionContext(steps, ctx.job.input, ctx.workspace?.secrets ?? {})
  return step.spec.each ? { ...base, each: step.spec.each } : base
}

/** Starts every ready server-run step whose time has come. */
export function startServerSteps(
  steps: ReadonlyArray<StepRun>,
  ctx: ServerStepContext,
): ServerWork {
  const work = noWork()
  for (const step of steps) {
    if (step.status !== 'ready' || stepKind(step.spec) === 'worker') continue
    if (step.readyAt !== null && step.readyAt.getTime() > ctx.now.getTime()) continue
    startOne(steps, step, ctx, work)
  }
  return work
}

function fail(step: StepRun, reason: string, ctx: ServerStepContext, work: ServerWork): void {
  const move = moveStep(step, 'dispatch_failed', ctx.scrub(reason))
  work.moves.push(move)
  work.changes.push(serverChangeOf(move, ctx.now))
}

function startOne(
  steps: ReadonlyArray<StepRun>,
  step: StepRun,
  ctx: ServerStepContext,
  work: ServerWork,
): void {
  const clock = { now: () => ctx.now }
  const tctx = templateContext(steps, step, ctx)
  const kind = stepKind(step.spec)
  if (kind === 'loop') {
    const items = loopItems(step.spec.forEach ?? [], tctx, clock)
    if (!items.ok) return fail(step, items.error, ctx, work)
    if (items.items.length === 0) {
      const move = moveStep(step, 'skip', 'for_each list is empty')
      work.moves.push(move)
      work.changes.push(serverChangeOf(move, ctx.now))
      return
    }
    const instances = loopInstances(step, items.items, { newStepId: ctx.newStepId, now: ctx.now })
    const move = moveStep(step, 'expand')
    work.moves.push(move)
    work.changes.push(serverChangeOf(move, ctx.now))
    work.newSteps.push(...instances)
    work.details.set(step.id, { instances: instances.length })
    return
  }
  let input: Record<string, unknown>
  try {
    input = renderRecord(step.spec.input, tctx, { clock, keyPrefix: 'input.' })
  } catch (e) {
    return fail(step, `step input failed to render: ${(e as Error).message}`, ctx, work)
  }
  const shownInput = ctx.scrubJson(input)
  if (kind === 'task') {
    if (!ctx.workspace) return fail(step, 'the workspace is no longer loaded', ctx, work)
    const child = planChildJob({
      job: ctx.job,
      step,
      workspace: ctx.workspace,
      input,
      now: ctx.now,
      clock,
      newJobId: ctx.newJobId,
      newStepId: ctx.newStepId,
      defaults: ctx.defaults,
    })
    if (!child.ok) return fail(step, child.error, ctx, work)
    const move = moveStep(step, 'start_child')
    work.moves.push(move)
    work.changes.push(
      serverChangeOf(move, ctx.now, { childJobId: child.job.id, input: shownInput }),
    )
    work.newJobs.push(child.job)
    work.details.set(step.id, { child: { id: child.job.id, task: child.job.taskName } })
    return
  }
  let message: string
  try {
    message = renderTemplate(step.spec.action.message ?? '', { ...tctx, input }, { clock })
  } catch (e) {
    return fail(step, `approval message failed to render: ${(e as Error).message}`, ctx, work)
  }
  message = ctx.scrub(message)
  const move = moveStep(step, 'suspend', null, { approval_message: message })
  work.moves.push(move)
  work.changes.push(
    serverChangeOf(move, ctx.now, {
      suspendedAt: ctx.now,
      deadlineAt: new Date(ctx.now.getTime() + step.spec.timeoutSecs * 1000),
      output: { approval_message: message },
      input: shownInput,
    }),
  )
  if (!ctx.workspace) return
  const hooks = planSuspendedHooks({
    job: ctx.job,
    stepName: step.name,
    message,
    workspace: ctx.workspace,
    taskHooks: ctx.workspace.tasks.get(ctx.job.taskName)?.hooks ?? NO_TASK_HOOKS,
    now: ctx.now,
    newJobId: ctx.newJobId,
    newStepId: ctx.newStepId,
    defaultStepTimeoutSecs: ctx.defaults.stepTimeoutSecs,
    defaultJobTimeoutSecs: ctx.defaults.jobTimeoutSecs,
  })
  for (const problem of hooks.problems) work.lines.push({ line: problem, stream: 'stderr' })
  for (const h of hooks.jobs)
    work.lines.push({ line: `hook job ${h.id} created (${h.taskName})`, stream: 'stdout' })
  work.newJobs.push(...hooks.jobs)
}

/** Ends every running loop step whose instances are all terminal. */
export function endLoops(
  steps: ReadonlyArray<StepRun>,
  ctx: Pick<ServerStepContext, 'job' | 'now'>,
): ServerWork {
  const work = noWork()
  for (const loop of steps) {
    if (loop.status !== 'running' || stepKind(loop.spec) !== 'loop') continue
    const instances = steps.filter((s) => s.loopSource === loop.name)
    if (instances.length === 0) continue
    const outcome = loopOutcome(loop, instances, ctx.job.cancelRequestedAt !== null)
    if (!outcome) continue
    const move = moveStep(loop, outcome.event, outcome.reason, outcome.output ?? undefined)
    work.moves.push(move)
    work.changes.push(serverChangeOf(move, ctx.now))
  }
  return work
}
