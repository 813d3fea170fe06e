/**
 * Sub-tasks (`type: task` steps, STROEM-REFERENCE.md §7.4): the step starts a child job of the
 * named task with the step's rendered input, checked against that task's schema; the step then
 * ends as its child does. Nesting is bounded. Pure.
 */
import { renderTemplate } from '../templates/render.ts'
import { formatInputIssues, validateInput } from '../workspace/input-schema.ts'
import type { Workspace } from '../workspace/workspace.ts'
import type { Clock } from '../shared/clock.ts'
import type { JobStatus } from '../shared/statuses.ts'
import type { Job, StepRun } from './job.ts'
import { planJob, type PlannedJob } from './plan-job.ts'

/** Deepest nesting of sub-task jobs (a top-level job is at depth 0). */
export const MAX_SUBTASK_DEPTH = 10

export type ChildPlan =
  { readonly ok: true; readonly job: PlannedJob } | { readonly ok: false; readonly error: string }

/** The child job a ready `type: task` step starts (or why it cannot). */
export function planChildJob(p: {
  readonly job: Job
  readonly step: StepRun
  readonly workspace: Workspace
  /** The step input, rendered. */
  readonly input: Readonly<Record<string, unknown>>
  readonly now: Date
  readonly clock: Pick<Clock, 'now'>
  readonly newJobId: () => string
  readonly newStepId: () => string
  readonly defaults: { readonly stepTimeoutSecs: number; readonly jobTimeoutSecs: number | null }
}): ChildPlan {
  const name = p.step.spec.action.task ?? ''
  const task = p.workspace.tasks.get(name)
  if (!task)
    return { ok: false, error: `task '${name}' not found in workspace '${p.workspace.name}'` }
  if (task.unavailable)
    return { ok: false, error: `task '${name}' is unavailable: ${task.unavailable}` }
  const depth = p.job.depth + 1
  if (depth > MAX_SUBTASK_DEPTH)
    return {
      ok: false,
      error: `sub-task nesting is limited to ${MAX_SUBTASK_DEPTH} levels; task '${name}' would be level ${depth}`,
    }
  const checked = validateInput(task.input, task.declaresInput, p.input, {
    renderDefault: (tpl) =>
      renderTemplate(tpl, { secret: p.workspace.secrets }, { clock: p.clock }),
  })
  if (!checked.ok)
    return {
      ok: false,
      error: `child task '${name}': ${formatInputIssues(checked.issues)}`,
    }
  const job = planJob({
    jobId: p.newJobId(),
    newStepId: p.newStepId,
    workspace: p.workspace,
    task,
    input: checked.value,
    rawInput: p.input,
    source: { type: 'task', id: `${p.job.id}/${p.step.name}` },
    now: p.now,
    defaultStepTimeoutSecs: p.defaults.stepTimeoutSecs,
    defaultJobTimeoutSecs: p.defaults.jobTimeoutSecs,
    parent: { jobId: p.job.id, stepName: p.step.name, depth },
  })
  return { ok: true, job }
}

/** How a task step ends with its child: completed with its output, failed naming it, or cancelled. */
export function childOutcome(child: {
  readonly id: string
  readonly status: JobStatus
  readonly output: unknown
  readonly errorMessage: string | null
}): { status: 'completed' | 'failed' | 'cancelled'; output: unknown; error: string | null } | null {
  switch (child.status) {
    case 'completed':
      return { status: 'completed', output: child.output ?? null, error: null }
    case 'failed': {
      const first = (child.errorMessage ?? 'unknown error').split('\n')[0]
      return { status: 'failed', output: null, error: `child job ${child.id} failed: ${first}` }
    }
    case 'cancelled':
      return { status: 'cancelled', output: null, error: `child job ${child.id} was cancelled` }
    case 'pending':
    case 'running':
      return null
  }
}
