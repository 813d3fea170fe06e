/**
 * Hooks of a job that just ended (WORKSPACE-FORMAT.md §5.6): which hooks fire, the `hook.*`
 * context they see, and their jobs: one per selected hook, task `_hook:<action>`, a single step
 * `hook` whose input was rendered with `hook` and `secret`.
 */
import { assertNever } from '../shared/errors.ts'
import type { JobStatus, SourceType } from '../shared/statuses.ts'
import type { HookDef, TaskHooks, Workspace } from '../workspace/workspace.ts'
import { failedStepsMessage, type StepSnapshot } from './job-status.ts'
import { moveStep } from './move-effects.ts'
import { planJob, type PlannedJob } from './plan-job.ts'
import { placementOf, toActionSpec } from './step-spec.ts'
import { renderRecord, renderTemplate } from '../templates/render.ts'
import { formatInputIssues, validateInput } from '../workspace/input-schema.ts'

export interface HookContext {
  workspace: string
  task_name: string
  job_id: string
  status: string
  is_success: boolean
  error_message: string | null
  source_type: string
  source_id: string | null
  started_at: string | null
  completed_at: string | null
  duration_secs: number | null
  failed_steps: Array<{
    step_name: string
    action_name: string
    error_message: string | null
    continue_on_failure: boolean
  }>
  artifacts: Array<{
    name: string
    content_type: string
    size_bytes: number
    step_name: string
    created_at: string
    url: string
  }>
}

/** An artifact of the ended job, as the IO layer loads it for the hook context. */
export interface HookArtifact {
  readonly name: string
  readonly contentType: string
  readonly sizeBytes: number
  readonly stepName: string
  readonly createdAt: Date
}

/** The relative URL an artifact is downloaded from (each segment of its name encoded). */
export function artifactUrl(jobId: string, name: string): string {
  return `/api/jobs/${jobId}/artifacts/${name.split('/').map(encodeURIComponent).join('/')}`
}

export interface HookJob {
  readonly id: string
  readonly workspace: string
  readonly taskName: string
  readonly status: JobStatus
  readonly sourceType: string
  readonly sourceId: string | null
  readonly startedAt: Date | null
  readonly completedAt: Date | null
}

/** Seconds with millisecond precision; never negative, even if the two clocks disagreed. */
function durationSecs(startedAt: Date | null, completedAt: Date | null): number | null {
  if (startedAt === null || completedAt === null) return null
  return Math.max(0, completedAt.getTime() - startedAt.getTime()) / 1000
}

/** The `hook.*` template variables for a finished job (WORKSPACE-FORMAT.md §5.6). */
export function buildHookContext(
  job: HookJob,
  steps: ReadonlyArray<StepSnapshot>,
  artifacts: ReadonlyArray<HookArtifact> = [],
): HookContext {
  return {
    workspace: job.workspace,
    task_name: job.taskName,
    job_id: job.id,
    status: job.status,
    is_success: job.status === 'completed',
    error_message: failedStepsMessage(steps),
    source_type: job.sourceType,
    source_id: job.sourceId,
    started_at: job.startedAt?.toISOString() ?? null,
    completed_at: job.completedAt?.toISOString() ?? null,
    duration_secs: durationSecs(job.startedAt, job.completedAt),
    failed_steps: steps
      .filter((s) => s.status === 'failed')
      .map((s) => ({
        step_name: s.name,
        action_name: s.actionName,
        error_message: s.errorMessage,
        continue_on_failure: s.continueOnFailure,
      })),
    artifacts: artifacts.map((a) => ({
      name: a.name,
      content_type: a.contentType,
      size_bytes: a.sizeBytes,
      step_name: a.stepName,
      created_at: a.createdAt.toISOString(),
      url: artifactUrl(job.id, a.name),
    })),
  }
}

/** Hooks of one list for a final status; non-terminal statuses have none. */
function hooksFor(status: JobStatus, hooks: TaskHooks): ReadonlyArray<HookDef> {
  switch (status) {
    case 'pending':
    case 'running':
      return []
    case 'completed':
      return hooks.onSuccess
    case 'failed':
      return hooks.onError
    case 'cancelled':
      return hooks.onCancel
    default:
      return assertNever(status, 'job status')
  }
}

/** Jobs started from outside the workspace; only they fall back to workspace-level hooks. */
function isTopLevel(sourceType: SourceType): boolean {
  switch (sourceType) {
    case 'api':
    case 'user':
    case 'trigger':
    case 'webhook':
    case 'rerun':
      return true
    case 'hook':
    case 'task':
    case 'upload':
      return false
    default:
      return assertNever(sourceType, 'source type')
  }
}

/**
 * Hooks to fire when a job ends: the task's list for the status if non-empty, else the
 * workspace's list for top-level jobs only. Hook jobs never fire hooks, which also rules out
 * a hook chain feeding itself.
 */
export function selectHooks(
  status: JobStatus,
  sourceType: SourceType,
  taskHooks: TaskHooks,
  workspaceHooks: TaskHooks,
): ReadonlyArray<HookDef> {
  if (sourceType === 'hook') return []
  const own = hooksFor(status, taskHooks)
  if (own.length > 0) return own
  return isTopLevel(sourceType) ? hooksFor(status, workspaceHooks) : []
}

/** A task with no hooks of its own. */
export const NO_TASK_HOOKS: TaskHooks = {
  onSuccess: [],
  onError: [],
  onCancel: [],
  onSuspended: [],
}

export interface HookPlanParams {
  readonly job: HookJob & { readonly sourceType: SourceType }
  readonly steps: ReadonlyArray<StepSnapshot>
  readonly workspace: Workspace
  readonly taskHooks: TaskHooks
  readonly now: Date
  readonly newJobId: () => string
  readonly newStepId: () => string
  readonly defaultStepTimeoutSecs: number
  readonly defaultJobTimeoutSecs?: number | null
  /** The job's artifacts (`hook.artifacts`). */
  readonly artifacts?: ReadonlyArray<HookArtifact>
}

export interface HookPlan {
  readonly jobs: PlannedJob[]
  /** Hooks that could not be created, with why (logged to the original job's `_server` log). */
  readonly problems: string[]
}

type JobsOfHooks = Omit<HookPlanParams, 'job' | 'steps' | 'taskHooks' | 'artifacts'> & {
  readonly job: { readonly id: string }
}

/** The jobs of the hooks a job's end selects (none for hook jobs). */
export function planHookJobs(p: HookPlanParams): HookPlan {
  const hooks = selectHooks(p.job.status, p.job.sourceType, p.taskHooks, p.workspace.hooks)
  if (hooks.length === 0) return { jobs: [], problems: [] }
  return jobsOfHooks(hooks, buildHookContext(p.job, p.steps, p.artifacts), p)
}

/** The `hook.*` variables of an `on_suspended` hook (Strøm's context). */
export interface SuspendedHookContext {
  workspace: string
  task_name: string
  job_id: string
  step_name: string
  message: string
  source_type: string
  source_id: string | null
}

/**
 * The jobs of the `on_suspended` hooks when a step of `job` starts waiting for an approval: the
 * task's list if non-empty, else the workspace's for top-level jobs; none for hook jobs.
 */
export function planSuspendedHooks(
  p: Omit<HookPlanParams, 'job' | 'steps'> & {
    readonly job: Omit<HookJob, 'status' | 'startedAt' | 'completedAt'> & {
      readonly sourceType: SourceType
    }
    readonly stepName: string
    readonly message: string
  },
): HookPlan {
  if (p.job.sourceType === 'hook') return { jobs: [], problems: [] }
  const own = p.taskHooks.onSuspended
  const hooks =
    own.length > 0 ? own : isTopLevel(p.job.sourceType) ? p.workspace.hooks.onSuspended : []
  if (hooks.length === 0) return { jobs: [], problems: [] }
  const context: SuspendedHookContext = {
    workspace: p.job.workspace,
    task_name: p.job.taskName,
    job_id: p.job.id,
    step_name: p.stepName,
    message: p.message,
    source_type: p.job.sourceType,
    source_id: p.job.sourceId,
  }
  return jobsOfHooks(hooks, context, p)
}

/**
 * One job per hook: a script action's runs as task `_hook:<action>` with a single step; a
 * `type: task` action's is a full job of that task, its input checked against the task's schema.
 */
function jobsOfHooks(hooks: ReadonlyArray<HookDef>, context: object, p: JobsOfHooks): HookPlan {
  const jobs: PlannedJob[] = []
  const problems: string[] = []
  const clock = { now: () => p.now }
  for (const hook of hooks) {
    const action = p.workspace.actions.get(hook.action)
    if (!action) {
      problems.push(`hook action '${hook.action}' no longer exists`)
      continue
    }
    let input: Record<string, unknown>
    try {
      input = renderRecord(hook.input, { hook: context, secret: p.workspace.secrets }, { clock })
    } catch (e) {
      problems.push(`hook '${hook.action}' input could not be rendered: ${(e as Error).message}`)
      continue
    }
    if (action.type !== 'task') {
      const placement = placementOf(action, p.workspace.root)
      jobs.push(
        hookJob(p, action.name, toActionSpec(action), { retry: action.retry, input, placement }),
      )
      continue
    }
    const task = p.workspace.tasks.get(action.task ?? '')
    if (!task || task.unavailable) {
      problems.push(`hook '${hook.action}': task '${action.task}' cannot run`)
      continue
    }
    const checked = validateInput(task.input, task.declaresInput, input, {
      renderDefault: (tpl) => renderTemplate(tpl, { secret: p.workspace.secrets }, { clock }),
    })
    if (!checked.ok) {
      problems.push(`hook '${hook.action}': ${formatInputIssues(checked.issues)}`)
      continue
    }
    jobs.push(
      planJob({
        jobId: p.newJobId(),
        newStepId: p.newStepId,
        workspace: p.workspace,
        task,
        input: checked.value,
        rawInput: input,
        source: { type: 'hook', id: p.job.id },
        now: p.now,
        defaultStepTimeoutSecs: p.defaultStepTimeoutSecs,
        defaultJobTimeoutSecs: p.defaultJobTimeoutSecs ?? null,
      }),
    )
  }
  return { jobs, problems }
}

function hookJob(
  p: JobsOfHooks,
  actionName: string,
  action: ReturnType<typeof toActionSpec>,
  o: {
    readonly retry: PlannedJob['steps'][number]['spec']['retry']
    readonly input: Record<string, unknown>
    readonly placement: ReturnType<typeof placementOf>
  },
): PlannedJob {
  const { retry, input } = o
  const stepId = p.newStepId()
  // Its one step has no dependencies: it is ready from the start.
  const ready = moveStep({ id: stepId, name: 'hook', attempt: 1, status: 'pending' }, 'deps_met')
  return {
    id: p.newJobId(),
    workspace: p.workspace.name,
    taskName: `_hook:${actionName}`,
    mode: 'distributed',
    status: 'pending',
    source: { type: 'hook', id: p.job.id },
    input,
    rawInput: null,
    revision: p.workspace.revision,
    fireKey: null,
    idempotencyKey: null,
    retryOfJobId: null,
    timeoutAt: null,
    createdAt: p.now,
    completedAt: null,
    moves: [ready],
    steps: [
      {
        id: stepId,
        name: 'hook',
        position: 0,
        actionName,
        actionType: action.type,
        runner: action.runner,
        status: ready.to,
        spec: {
          action,
          input,
          inputIsLiteral: true,
          when: null,
          continueOnFailure: false,
          timeoutSecs: p.defaultStepTimeoutSecs,
          retry,
          ...o.placement,
        },
        dependsOn: [],
        input,
        tags: action.tags,
        readyAt: p.now,
        errorMessage: null,
        completedAt: null,
      },
    ],
  }
}
