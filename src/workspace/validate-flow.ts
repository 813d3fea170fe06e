/**
 * Cross-references inside tasks: step and hook actions, `depends_on`, cycles, step inputs against
 * the action's schema, and task names that collide once `-` becomes `_`.
 */
import { findCycles } from '../flow/dag.ts'
import { classifyActionName, splitQualified, type ReferenceScope } from './action-refs.ts'
import { didYouMean } from './did-you-mean.ts'
import { everyHook } from './schema-types.ts'
import type { ActionDraft, HooksDraft, StepDraft, TaskDraft } from './schema-types.ts'
import { templateStepName } from './workspace.ts'
import type { WorkspaceIssue, WorkspaceReference } from './workspace.ts'
import { issueAt } from './yaml-source.ts'

type Actions = ReadonlyMap<string, ActionDraft>

/** Dotted action names resolved so far: references to other workspaces, for the link. */
export interface RefCollector {
  /** Null: no server configuration, so dotted names are left unchecked (`weir validate DIR`). */
  readonly scope: ReferenceScope | null
  readonly references: WorkspaceReference[]
}

function checkActionRef(
  name: string,
  site: StepDraft['actionSite'],
  actions: Actions,
  refs: RefCollector,
  by: 'step' | 'hook',
): WorkspaceIssue[] {
  // An empty name was already a step-form or hook error.
  if (site === null || name === '' || actions.has(name)) return []
  if (refs.scope === null) {
    if (splitQualified(name)) return []
    const hint = didYouMean(
      name,
      [...actions.keys()].filter((a) => !a.startsWith('_inline:')),
    )
    return [issueAt(site, 'error', 'unknown-action', `unknown action '${name}'${hint}`)]
  }
  const verdict = classifyActionName(name, actions, refs.scope, by)
  if (verdict.kind === 'problem') return [issueAt(site, 'error', verdict.code, verdict.message)]
  const { workspace, action } = verdict
  const { file, line, column, path } = site
  refs.references.push({ workspace, action, file, line, column, path })
  return []
}

function checkDependencies(steps: ReadonlyArray<StepDraft>, issues: WorkspaceIssue[]): void {
  const names = steps.map((s) => s.def.name)
  for (const step of steps) {
    step.def.dependsOn.forEach((dep, i) => {
      const site = step.dependsOnSites[i]
      if (names.includes(dep) || site === undefined) return
      const msg = `depends on unknown step '${dep}'${didYouMean(dep, names)}`
      issues.push(issueAt(site, 'error', 'unknown-dependency', msg))
    })
  }
  const nodes = steps.map((s) => ({ name: s.def.name, dependsOn: s.def.dependsOn }))
  for (const cycle of findCycles(nodes)) {
    const [first, next] = cycle
    const step = steps.find((s) => s.def.name === first)
    if (!step) continue
    const index = step.def.dependsOn.indexOf(next ?? '')
    const site = step.dependsOnSites[index] ?? step.site
    const msg = `dependency cycle: ${cycle.join(' -> ')}`
    issues.push(issueAt(site, 'error', 'dependency-cycle', msg))
  }
}

/** `step-input` warnings: undeclared keys, and required action inputs nobody provides. */
function checkStepInputs(task: TaskDraft, step: StepDraft, actions: Actions): WorkspaceIssue[] {
  const action = actions.get(step.def.action)
  // A task step's input is the child job's (validate-subtasks.ts); an approval's schema is the
  // approver's fields, filled when someone decides, not by the step.
  if (!action || action.def.input.length === 0) return []
  if (action.def.type === 'task' || action.def.type === 'approval') return []
  const out: WorkspaceIssue[] = []
  const declared = new Set(action.def.input.map(([name]) => name))
  const label = step.inline
    ? `inline action of step '${step.def.name}'`
    : `action '${action.def.name}'`
  // An inline step's own input entries are its action's input by construction (§5.3).
  for (const [key, site] of step.inline ? [] : step.inputSites) {
    if (declared.has(key)) continue
    const msg = `${label} has no input '${key}'${didYouMean(key, declared)}`
    out.push(issueAt(site, 'warning', 'step-input', msg))
  }
  const taskInputs = new Set(task.def.input.map(([name]) => name))
  for (const [name, field] of action.def.input) {
    const provided =
      Object.hasOwn(step.def.input, name) ||
      field.default !== undefined ||
      !task.def.declaresInput ||
      taskInputs.has(name)
    if (!field.required || provided) continue
    const msg = `required input '${name}' of ${label} is set by neither the step, a task input nor a default`
    out.push(issueAt(step.actionSite ?? step.site, 'warning', 'step-input', msg))
  }
  return out
}

function checkHooks(
  hooks: HooksDraft,
  actions: Actions,
  refs: RefCollector,
  issues: WorkspaceIssue[],
): void {
  for (const hook of everyHook(hooks)) {
    issues.push(...checkActionRef(hook.def.action, hook.actionSite, actions, refs, 'hook'))
  }
}

/** Tasks whose names collide after `-` → `_` (the later definition is reported). */
function checkTaskNames(tasks: ReadonlyMap<string, TaskDraft>, issues: WorkspaceIssue[]): void {
  const seen = new Map<string, string>()
  for (const [name, task] of tasks) {
    const normalised = templateStepName(name)
    const other = seen.get(normalised)
    if (other === undefined) {
      seen.set(normalised, name)
      continue
    }
    const msg = `tasks '${other}' and '${name}' have the same normalised name '${normalised}'`
    issues.push(issueAt(task.site, 'error', 'task-name', msg))
  }
}

/** Every reference check of every task and of the workspace-level hooks. */
export function validateFlows(
  tasks: ReadonlyMap<string, TaskDraft>,
  workspaceHooks: HooksDraft,
  actions: Actions,
  refs: RefCollector,
): WorkspaceIssue[] {
  const issues: WorkspaceIssue[] = []
  checkTaskNames(tasks, issues)
  for (const task of tasks.values()) {
    for (const step of task.steps) {
      issues.push(...checkActionRef(step.def.action, step.actionSite, actions, refs, 'step'))
      issues.push(...checkStepInputs(task, step, actions))
    }
    checkDependencies(task.steps, issues)
    checkHooks(task.hooks, actions, refs, issues)
  }
  checkHooks(workspaceHooks, actions, refs, issues)
  return issues
}
