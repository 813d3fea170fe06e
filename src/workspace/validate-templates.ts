/**
 * Static template checks (WORKSPACE-FORMAT.md §8.2, §8.3, §10.2): syntax, and that every free
 * variable is available where the template sits. Step references must be upstream, which for an
 * action body is checked once for every step that runs the action.
 */
import { upstreamClosure } from '../flow/dag.ts'
import { checkTemplate } from '../templates/render.ts'
import { didYouMean } from './did-you-mean.ts'
import { everyHook } from './schema-types.ts'
import type { ActionDraft, HooksDraft, StepDraft, TaskDraft, TemplateSite } from './schema-types.ts'
import { templateStepName } from './workspace.ts'
import type { IssueSeverity, WorkspaceIssue } from './workspace.ts'
import { issueAt } from './yaml-source.ts'

export interface TemplateScope {
  readonly tasks: ReadonlyMap<string, TaskDraft>
  /** Named and inline actions. */
  readonly actions: ReadonlyMap<string, ActionDraft>
  readonly workspaceHooks: HooksDraft
}

export interface TemplateFindings {
  readonly issues: WorkspaceIssue[]
  /** Task name -> why it cannot run (a step template uses a [Later] variable such as `state`). */
  readonly unsupportedTasks: Map<string, string>
  /** Action name -> why it cannot run (its body uses a [Later] variable). */
  readonly unsupportedActions: Map<string, string>
}

interface Ref {
  readonly root: string
  readonly path: ReadonlyArray<string>
}

interface Problem {
  readonly severity: IssueSeverity
  readonly code: string
  readonly message: string
}

/** Task state (STROEM-REFERENCE.md §2.1): what a worker step renders with at claim. */
const STATE_ROOTS = ['state', 'global_state']
const EACH_KEYS = ['item', 'index', 'total']
const EACH_ONLY_IN_LOOPS = "'each' is only available in steps with for_each"

/** What a step (or an action body run by that step) may see. */
interface StepView {
  readonly step: StepDraft
  /** Template names of upstream steps. */
  readonly upstream: ReadonlySet<string>
  /** Template name -> step name, for every step of the flow. */
  readonly flow: ReadonlyMap<string, string>
}

interface InputView {
  readonly owner: string
  /** null: any key may be present (the owner declares no input). */
  readonly known: ReadonlySet<string> | null
  /** `sets` when `input` is a step's own input (an approval message), else `declares`. */
  readonly verb?: 'sets'
}

/** Everything a step-side template is checked against. */
interface RefContext {
  /** null: an action no step runs (step references cannot be checked). */
  readonly view: StepView | null
  readonly input: InputView
  /** Why `each` is not available here, or null when it is (§5.7). */
  readonly eachDenied: string | null
  /** Why `state` / `global_state` are not available here (null: they are: a worker step). */
  readonly stateDenied: string | null
}

function problem(severity: IssueSeverity, code: string, message: string): Problem {
  return { severity, code, message }
}

function listOf(p: Problem | null): Problem[] {
  return p === null ? [] : [p]
}

function elsewhere(root: string): Problem | null {
  if (root === 'hook') {
    return problem('error', 'template-unknown-variable', "'hook' is only available in hook inputs")
  }
  if (root === 'webhook') {
    const msg = "'webhook' is only available in webhook trigger inputs"
    return problem('error', 'template-unknown-variable', msg)
  }
  return null
}

function checkInputRef(ref: Ref, input: InputView): Problem | null {
  const key = ref.path[0]
  if (key === undefined || input.known === null || input.known.has(key)) return null
  const msg = `${input.owner} ${input.verb ?? 'declares'} no input '${key}'${didYouMean(key, input.known)}`
  return problem('warning', 'template-unknown-input', msg)
}

function checkEachRef(ref: Ref, denied: string | null): Problem | null {
  if (denied !== null) return problem('error', 'template-unknown-variable', denied)
  const key = ref.path[0]
  if (key === undefined || EACH_KEYS.includes(key)) return null
  const msg = `'each' has only item, index and total, not '${key}'${didYouMean(key, EACH_KEYS)}`
  return problem('error', 'template-unknown-variable', msg)
}

function checkStepRef(ref: Ref, ctx: RefContext): Problem | null {
  const { view, input } = ctx
  if (ref.root === 'input') return checkInputRef(ref, input)
  if (ref.root === 'secret') return null
  if (ref.root === 'each') return checkEachRef(ref, ctx.eachDenied)
  if (STATE_ROOTS.includes(ref.root)) {
    if (ctx.stateDenied === null) return null
    const msg = `'${ref.root}' is not available ${ctx.stateDenied}`
    return problem('error', 'template-unknown-variable', msg)
  }
  const other = elsewhere(ref.root)
  if (other) return other
  if (view === null) return null
  if (view.upstream.has(ref.root)) return null
  const self = view.step.def.name
  if (view.flow.has(ref.root)) {
    const msg =
      view.flow.get(ref.root) === self
        ? `references its own step '${ref.root}'; a step cannot read its own output`
        : `references step '${ref.root}' which is not upstream of '${self}'; add it to depends_on`
    return problem('error', 'template-not-upstream', msg)
  }
  const known = [
    ...['input', 'secret', ...(ctx.eachDenied === null ? ['each'] : [])],
    ...(ctx.stateDenied === null ? STATE_ROOTS : []),
    ...view.upstream,
  ]
  const msg = `unknown variable '${ref.root}'${didYouMean(ref.root, known)}`
  return problem('error', 'template-unknown-variable', msg)
}

function onlyThese(ref: Ref, allowed: ReadonlyArray<string>, where: string): Problem | null {
  if (allowed.includes(ref.root)) return null
  const msg = `'${ref.root}' is not available in ${where} (only ${allowed.join(' and ')})`
  return problem('error', 'template-unknown-variable', msg)
}

/** Strøm renders `when` and `for_each` once for the loop step; only its instances see `each`. */
function eachDeniedInStep(part: 'input' | 'when' | 'for_each', step: StepDraft): string | null {
  switch (part) {
    case 'when':
      return "'each' is not available in when (it is evaluated once for the step, not per loop item)"
    case 'for_each':
      return "'each' is not available in for_each (it is what for_each defines)"
    case 'input':
      return step.def.forEach !== null ? null : EACH_ONLY_IN_LOOPS
  }
}

const STATE_IN_MESSAGE = 'in an approval message (only worker steps see task state)'

/** Task state is rendered at claim, for worker steps only (Strøm's contexts, §2.1). */
function stateDeniedInStep(
  part: 'input' | 'when' | 'for_each',
  step: StepDraft,
  scope: TemplateScope,
): string | null {
  if (part === 'when') return 'in when (only in the input and action of a worker step)'
  if (part === 'for_each') return 'in for_each (only in the input and action of a worker step)'
  const type = scope.actions.get(step.def.action)?.def.type
  if (type === 'task' || type === 'approval')
    return `in the input of a ${type} step (only worker steps see task state)`
  return null
}

/** Why an action body cannot read `each` when this (non-loop) step runs it. */
function eachDeniedFor(action: string, task: TaskDraft, step: StepDraft): string {
  if (action.startsWith('_inline:')) return EACH_ONLY_IN_LOOPS
  return `${EACH_ONLY_IN_LOOPS} (step '${step.def.name}' of task '${task.def.name}' runs action '${action}' without one)`
}

function stepView(task: TaskDraft, step: StepDraft): StepView {
  const nodes = task.steps.map((s) => ({ name: s.def.name, dependsOn: s.def.dependsOn }))
  const upstream = [...upstreamClosure(nodes, step.def.name)].map(templateStepName)
  const flow = new Map(task.steps.map((s) => [templateStepName(s.def.name), s.def.name]))
  return { step, upstream: new Set(upstream), flow }
}

/** Precomputed views: per task step, and the steps and hooks that run each action. */
class Views {
  readonly #scope: TemplateScope
  readonly #steps = new Map<string, StepView>()
  readonly users = new Map<string, Array<{ task: TaskDraft; step: StepDraft }>>()
  readonly hookInputs = new Map<string, string[]>()

  constructor(scope: TemplateScope) {
    this.#scope = scope
    for (const task of scope.tasks.values()) {
      for (const step of task.steps) {
        const list = this.users.get(step.def.action) ?? []
        list.push({ task, step })
        this.users.set(step.def.action, list)
      }
      this.#addHooks(task.hooks)
    }
    this.#addHooks(scope.workspaceHooks)
  }

  #addHooks(hooks: HooksDraft): void {
    for (const h of everyHook(hooks)) {
      const keys = this.hookInputs.get(h.def.action) ?? []
      keys.push(...Object.keys(h.def.input))
      this.hookInputs.set(h.def.action, keys)
    }
  }

  step(task: TaskDraft, step: StepDraft): StepView {
    const key = `${task.def.name}\u0000${step.def.name}`
    const view = this.#steps.get(key) ?? stepView(task, step)
    this.#steps.set(key, view)
    return view
  }

  taskInput(task: TaskDraft): InputView {
    const known = task.def.declaresInput ? new Set(task.def.input.map(([n]) => n)) : null
    return { owner: `task '${task.def.name}'`, known }
  }

  actionInput(name: string): InputView {
    const action = this.#scope.actions.get(name)
    const known = new Set(action?.def.input.map(([n]) => n) ?? [])
    for (const u of this.users.get(name) ?? [])
      for (const k of u.step.inputSites.keys()) known.add(k)
    for (const k of this.hookInputs.get(name) ?? []) known.add(k)
    const owner = name.startsWith('_inline:') ? 'the inline action' : `action '${name}'`
    return { owner, known }
  }

  /**
   * An action body, or an approval's message, is checked for every step that runs it. A message's
   * `input` is that step's rendered input, so each step must set the keys it reads.
   */
  actionProblems(name: string, ref: Ref, message: boolean): Problem[] {
    const input = this.actionInput(name)
    const users = this.users.get(name) ?? []
    const out = users.map(({ task, step }) => {
      const stepInput: InputView = {
        owner: `step '${step.def.name}'`,
        known: new Set(step.inputSites.keys()),
        verb: 'sets',
      }
      return checkStepRef(ref, {
        view: this.step(task, step),
        input: message ? stepInput : input,
        eachDenied: step.def.forEach !== null ? null : eachDeniedFor(name, task, step),
        stateDenied: message ? STATE_IN_MESSAGE : null,
      })
    })
    if (users.length === 0) {
      const unknown = { owner: input.owner, known: null }
      out.push(
        checkStepRef(ref, {
          view: null,
          input: message ? unknown : input,
          eachDenied: null,
          stateDenied: message ? STATE_IN_MESSAGE : null,
        }),
      )
    }
    if (this.hookInputs.has(name) && !['input', 'secret'].includes(ref.root)) {
      const msg = `'${ref.root}' is not available when action '${name}' runs as a hook (only input and secret)`
      out.push(elsewhere(ref.root) ?? problem('error', 'template-unknown-variable', msg))
    }
    return out.flatMap(listOf)
  }
}

function problemsOf(site: TemplateSite, ref: Ref, views: Views, scope: TemplateScope): Problem[] {
  const use = site.use
  switch (use.kind) {
    case 'input-default':
      return listOf(onlyThese(ref, ['secret'], 'input defaults'))
    case 'webhook-input':
      return listOf(onlyThese(ref, ['webhook', 'secret'], 'webhook trigger inputs'))
    case 'webhook-secret':
      return listOf(onlyThese(ref, ['secret'], 'a webhook secret'))
    case 'hook': {
      if (ref.root === 'hook' || ref.root === 'secret') return []
      return [problem('error', 'hook', 'hook input may only reference hook.* and secret.*')]
    }
    case 'step': {
      const task = scope.tasks.get(use.task)
      const step = task?.steps.find((s) => s.def.name === use.step)
      if (!task || !step) return []
      const view = views.step(task, step)
      const eachDenied = eachDeniedInStep(use.part, step)
      const stateDenied = stateDeniedInStep(use.part, step, scope)
      return listOf(
        checkStepRef(ref, { view, input: views.taskInput(task), eachDenied, stateDenied }),
      )
    }
    case 'action':
      return views.actionProblems(use.action, ref, false)
    case 'approval-message':
      return views.actionProblems(use.action, ref, true)
  }
}

/** Marks the task or action of a template that uses a [Later] variable as unable to run. */
function markUnsupported(findings: TemplateFindings, site: TemplateSite, ref: Ref): void {
  const use = site.use
  const what = `'${ref.root}' in a template, which Weir does not support yet`
  const action = use.kind === 'action' || use.kind === 'approval-message' ? use.action : null
  if (use.kind === 'step' && !findings.unsupportedTasks.has(use.task)) {
    findings.unsupportedTasks.set(use.task, `step '${use.step}' uses ${what}`)
  } else if (action !== null && !findings.unsupportedActions.has(action)) {
    findings.unsupportedActions.set(action, `action '${action}' uses ${what}`)
  }
}

/** Checks every template site; never throws. */
export function validateTemplates(
  sites: ReadonlyArray<TemplateSite>,
  scope: TemplateScope,
): TemplateFindings {
  const views = new Views(scope)
  const findings: TemplateFindings = {
    issues: [],
    unsupportedTasks: new Map(),
    unsupportedActions: new Map(),
  }
  for (const site of sites) {
    const checked = checkTemplate(site.text)
    if (!checked.ok) {
      const msg = `template line ${checked.line}, column ${checked.column}: ${checked.message}`
      findings.issues.push(issueAt(site.site, 'error', 'template-syntax', msg))
      continue
    }
    for (const note of checked.nonPortable) {
      findings.issues.push(
        issueAt(site.site, 'warning', 'non-portable-template', `template ${note}`),
      )
    }
    const seen = new Set<string>()
    for (const ref of checked.refs) {
      for (const p of problemsOf(site, ref, views, scope)) {
        const message = `template line ${ref.line}, column ${ref.column}: ${p.message}`
        if (seen.has(p.message)) continue
        seen.add(p.message)
        findings.issues.push(issueAt(site.site, p.severity, p.code, message))
        if (p.severity === 'unsupported') markUnsupported(findings, site, ref)
      }
    }
  }
  return findings
}
