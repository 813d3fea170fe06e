/**
 * Sub-tasks (WORKSPACE-FORMAT.md §3.4): a `type: task` action names a task of this workspace, no
 * step runs the task it belongs to, tasks do not run one another in a cycle, and the input a step
 * or a hook hands to the task fits that task's input. Hooks stay out of the cycle check: a hook
 * job never fires hooks, so a hook cannot start a loop.
 */
import { findCycles } from '../flow/dag.ts'
import { didYouMean } from './did-you-mean.ts'
import { everyHook } from './schema-types.ts'
import type { ActionDraft, HooksDraft, TaskDraft } from './schema-types.ts'
import type { WorkspaceIssue } from './workspace.ts'
import { issueAt } from './yaml-source.ts'
import type { Site } from './yaml-source.ts'

type Tasks = ReadonlyMap<string, TaskDraft>
type Actions = ReadonlyMap<string, ActionDraft>

/** A task started by a step or a hook of another job through a task action. */
export interface SubtaskUse {
  /** The task whose step or hook starts it; null for a workspace-level hook. */
  readonly from: string | null
  readonly to: string
  /** `step 'x'` or `hook action 'y'`, for messages. */
  readonly by: string
  readonly kind: 'step' | 'hook'
  /** Where the use points: the step's `action:`, else the inline action's `task:`. */
  readonly site: Site
  /** The input handed to the child job, with the position of each key. */
  readonly inputKeys: ReadonlyMap<string, Site>
}

function targetOf(actions: Actions, name: string): ActionDraft | undefined {
  const action = actions.get(name)
  return action?.def.type === 'task' && action.def.task !== null ? action : undefined
}

function hookUses(from: string | null, hooks: HooksDraft, actions: Actions): SubtaskUse[] {
  const out: SubtaskUse[] = []
  for (const hook of everyHook(hooks)) {
    const action = targetOf(actions, hook.def.action)
    if (!action || action.def.task === null) continue
    out.push({
      from,
      to: action.def.task,
      by: `hook action '${hook.def.action}'`,
      kind: 'hook',
      site: hook.actionSite ?? action.site,
      inputKeys: hook.inputSites,
    })
  }
  return out
}

/** Every step and hook (task-level and workspace-level) that starts a task, in load order. */
export function subtaskUses(
  tasks: Tasks,
  workspaceHooks: HooksDraft,
  actions: Actions,
): SubtaskUse[] {
  const out: SubtaskUse[] = []
  for (const task of tasks.values()) {
    for (const step of task.steps) {
      const action = targetOf(actions, step.def.action)
      if (!action || action.def.task === null) continue
      out.push({
        from: task.def.name,
        to: action.def.task,
        by: `step '${step.def.name}'`,
        kind: 'step',
        site: step.actionSite ?? action.taskSite ?? step.site,
        inputKeys: step.inputSites,
      })
    }
    out.push(...hookUses(task.def.name, task.hooks, actions))
  }
  out.push(...hookUses(null, workspaceHooks, actions))
  return out
}

/** `unknown-task` for every task action, used or not, whose task does not exist. */
function checkTargets(tasks: Tasks, actions: Actions, issues: WorkspaceIssue[]): void {
  for (const action of actions.values()) {
    // A library's own task actions were checked with the library.
    if (action.def.origin) continue
    const name = action.def.task
    if (action.def.type !== 'task' || name === null || !action.taskSite || tasks.has(name)) continue
    const msg = `unknown task '${name}'${didYouMean(name, tasks.keys())}`
    issues.push(issueAt(action.taskSite, 'error', 'unknown-task', msg))
  }
}

/**
 * `task-cycle`: a step running its own task, and every cycle of tasks running one another through
 * their steps, reported on the step that closes it (`a -> b -> a`: the step of b running a).
 */
function checkCycles(uses: ReadonlyArray<SubtaskUse>, issues: WorkspaceIssue[]): void {
  const steps = uses.filter((u) => u.kind === 'step')
  const runs = new Map<string, string[]>()
  for (const use of steps) {
    const from = use.from ?? ''
    if (from === use.to) {
      const msg = `${use.by} runs task '${use.to}', the task it belongs to (a task cannot run itself)`
      issues.push(issueAt(use.site, 'error', 'task-cycle', msg))
      continue
    }
    runs.set(from, [...(runs.get(from) ?? []), use.to])
  }
  const nodes = [...runs].map(([name, dependsOn]) => ({ name, dependsOn }))
  for (const cycle of findCycles(nodes)) {
    const from = cycle[cycle.length - 2]
    const to = cycle[cycle.length - 1]
    const closing = steps.find((u) => u.from === from && u.to === to)
    if (!closing) continue
    issues.push(issueAt(closing.site, 'error', 'task-cycle', `task cycle: ${cycle.join(' -> ')}`))
  }
}

/**
 * A step's or hook's input is the child job's input: keys the task does not declare are ignored
 * or rejected on execute, and a required field without a default must be set here.
 */
function checkInput(use: SubtaskUse, task: TaskDraft, issues: WorkspaceIssue[]): void {
  const code = use.kind === 'step' ? 'step-input' : 'hook-input'
  const declared = new Set(task.def.input.map(([name]) => name))
  if (task.def.declaresInput) {
    for (const [key, site] of use.inputKeys) {
      if (declared.has(key)) continue
      const msg = `task '${use.to}' has no input '${key}'${didYouMean(key, declared)}`
      issues.push(issueAt(site, 'warning', code, msg))
    }
  }
  for (const [name, field] of task.def.input) {
    if (!field.required || field.default !== undefined || use.inputKeys.has(name)) continue
    const msg = `required input '${name}' of task '${use.to}' is set by neither the ${use.kind} nor a default`
    issues.push(issueAt(use.site, 'warning', code, msg))
  }
}

/** Every sub-task rule of the workspace. */
export function validateSubtasks(
  tasks: Tasks,
  workspaceHooks: HooksDraft,
  actions: Actions,
  imported: Tasks = new Map(),
): WorkspaceIssue[] {
  const issues: WorkspaceIssue[] = []
  checkTargets(imported.size === 0 ? tasks : new Map([...imported, ...tasks]), actions, issues)
  const uses = subtaskUses(tasks, workspaceHooks, actions)
  checkCycles(uses, issues)
  for (const use of uses) {
    const target = tasks.get(use.to) ?? imported.get(use.to)
    if (target) checkInput(use, target, issues)
  }
  return issues
}

/**
 * Reasons why tasks cannot run, extended to the tasks whose steps or hooks start one of them
 * (transitively). Each inherited reason names the starting step and the original cause.
 */
export function inheritUnavailable(
  own: ReadonlyMap<string, string | null>,
  uses: ReadonlyArray<SubtaskUse>,
): Map<string, string | null> {
  const out = new Map(own)
  const cause = new Map<string, string>()
  for (const [name, reason] of own) if (reason !== null) cause.set(name, reason)
  for (let changed = true; changed;) {
    changed = false
    for (const use of uses) {
      const root = cause.get(use.to)
      if (use.from === null || root === undefined || cause.has(use.from)) continue
      cause.set(use.from, root)
      out.set(use.from, `${use.by} runs task '${use.to}', which is unavailable: ${root}`)
      changed = true
    }
  }
  return out
}
