/**
 * Job-level roll-ups over step snapshots: the job status (API.md §2.1), the job output and error
 * message (WORKSPACE-FORMAT.md §5.4), and the hook selection and context (§5.6).
 */
import { assertNever } from '../shared/errors.ts'
import {
  isTerminalStepStatus,
  type JobStatus,
  type SourceType,
  type StepStatus,
} from '../shared/statuses.ts'
import type { HookDef, TaskHooks } from '../workspace/workspace.ts'
import { leafSteps } from './dag.ts'

export interface StepSnapshot {
  readonly name: string
  readonly status: StepStatus
  readonly continueOnFailure: boolean
  readonly output: unknown
  readonly errorMessage: string | null
  readonly actionName: string
  readonly dependsOn: ReadonlyArray<string>
}

/**
 * Job status from its steps. While any step is not terminal the job is `running` once a step was
 * ever claimed, else `pending`; a job only ends when every step is terminal, so the caller ends
 * the steps of a timed-out job first. Then, in order: a requested cancel that left at least one
 * step `cancelled` gives `cancelled` (steps that completed before it do not matter, and neither
 * do failures: the cancel is what the requester sees); a timeout gives `failed`; an untolerated
 * failure gives `failed`; anything else, including a job whose steps were all skipped, is
 * `completed`. A cancel that came too late to stop any step leaves the ordinary roll-up.
 */
export function deriveJobStatus(
  steps: ReadonlyArray<StepSnapshot>,
  opts: { cancelRequested: boolean; everClaimed: boolean; timedOut?: boolean },
): JobStatus {
  if (steps.some((s) => !isTerminalStepStatus(s.status))) {
    return opts.everClaimed ? 'running' : 'pending'
  }
  if (opts.cancelRequested && steps.some((s) => s.status === 'cancelled')) return 'cancelled'
  if (opts.timedOut === true) return 'failed'
  const untolerated = steps.some((s) => s.status === 'failed' && !s.continueOnFailure)
  return untolerated ? 'failed' : 'completed'
}

/** Leaf step name -> output, for leaves whose output is neither null nor undefined; else null. */
export function jobOutput(steps: ReadonlyArray<StepSnapshot>): Record<string, unknown> | null {
  const byName = new Map(steps.map((s) => [s.name, s]))
  const output: Record<string, unknown> = {}
  let any = false
  for (const leaf of leafSteps(steps)) {
    const value = byName.get(leaf)?.output
    if (value === null || value === undefined) continue
    output[leaf] = value
    any = true
  }
  return any ? output : null
}

/** A failed step that recorded no message still gets a readable line. */
const MISSING_ERROR = 'unknown error'

/**
 * `Step '<name>': <error>` for every failed step in the given order, tolerated failures included
 * (so a completed job can carry one), joined with `; `; null when no step failed.
 */
export function failedStepsMessage(steps: ReadonlyArray<StepSnapshot>): string | null {
  const parts = steps
    .filter((s) => s.status === 'failed')
    .map((s) => `Step '${s.name}': ${s.errorMessage ?? MISSING_ERROR}`)
  return parts.length > 0 ? parts.join('; ') : null
}

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
  artifacts: []
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
export function buildHookContext(job: HookJob, steps: ReadonlyArray<StepSnapshot>): HookContext {
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
    artifacts: [],
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
      return true
    case 'hook':
    case 'task':
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
