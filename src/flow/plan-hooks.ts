/**
 * Hook jobs for a job that just ended (WORKSPACE-FORMAT.md §5.6): one job per selected hook,
 * task `_hook:<action>`, a single step `hook` whose input was rendered with `hook` and `secret`.
 */
import type { SourceType } from '../shared/statuses.ts'
import type { TaskHooks, Workspace } from '../workspace/workspace.ts'
import { buildHookContext, selectHooks, type HookJob, type StepSnapshot } from './job-status.ts'
import type { PlannedJob } from './plan-job.ts'
import { toActionSpec } from './step-spec.ts'
import { renderRecord } from '../templates/render.ts'

export interface HookPlanParams {
  readonly job: HookJob & { readonly sourceType: SourceType }
  readonly steps: ReadonlyArray<StepSnapshot>
  readonly workspace: Workspace
  readonly taskHooks: TaskHooks
  readonly now: Date
  readonly newJobId: () => string
  readonly newStepId: () => string
  readonly defaultStepTimeoutSecs: number
}

export interface HookPlan {
  readonly jobs: PlannedJob[]
  /** Hooks that could not be created, with why (logged to the original job's `_server` log). */
  readonly problems: string[]
}

export function planHookJobs(p: HookPlanParams): HookPlan {
  const hooks = selectHooks(p.job.status, p.job.sourceType, p.taskHooks, p.workspace.hooks)
  if (hooks.length === 0) return { jobs: [], problems: [] }
  const context = buildHookContext(p.job, p.steps)
  const jobs: PlannedJob[] = []
  const problems: string[] = []
  for (const hook of hooks) {
    const action = p.workspace.actions.get(hook.action)
    if (!action) {
      problems.push(`hook action '${hook.action}' no longer exists`)
      continue
    }
    let input: Record<string, unknown>
    try {
      input = renderRecord(hook.input, { hook: context, secret: p.workspace.secrets })
    } catch (e) {
      problems.push(`hook '${hook.action}' input could not be rendered: ${(e as Error).message}`)
      continue
    }
    jobs.push(hookJob(p, action.name, toActionSpec(action), action.retry, input))
  }
  return { jobs, problems }
}

function hookJob(
  p: HookPlanParams,
  actionName: string,
  action: ReturnType<typeof toActionSpec>,
  retry: PlannedJob['steps'][number]['spec']['retry'],
  input: Record<string, unknown>,
): PlannedJob {
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
    steps: [
      {
        id: p.newStepId(),
        name: 'hook',
        position: 0,
        actionName,
        actionType: action.type,
        runner: action.runner,
        status: 'ready',
        spec: {
          action,
          input,
          inputIsLiteral: true,
          when: null,
          continueOnFailure: false,
          timeoutSecs: p.defaultStepTimeoutSecs,
          retry,
          root: p.workspace.root,
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
