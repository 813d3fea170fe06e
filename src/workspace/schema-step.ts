/** Flow steps (WORKSPACE-FORMAT.md §5.2), in reference or inline form (§5.3), and hook lists. */
import { isTemplate } from '../templates/render.ts'
import { ACTION_KEY_HINTS, SCRIPT_ACTION_KEYS, actionKeys, buildAction } from './schema-action.ts'
import { readInputFields } from './schema-input.ts'
import {
  checkKeys,
  entries,
  exhausted,
  findEntry,
  isNull,
  isUnquotedTemplate,
  items,
  kindOf,
  plainValue,
  readBool,
  readString,
  recordTemplate,
  report,
  site,
  wrongType,
} from './schema-reader.ts'
import type { Cursor, Entry } from './schema-reader.ts'
import { readDuration, readRetry } from './schema-retry.ts'
import type { ActionDraft, HookDraft, StepDraft, TemplateUse } from './schema-types.ts'
import { templateStepName } from './workspace.ts'
import type { HookDef, StepDef } from './workspace.ts'
import { refOf } from './yaml-source.ts'
import type { Site } from './yaml-source.ts'

const STEP_KEYS = [
  'action',
  'name',
  'description',
  'depends_on',
  'input',
  'continue_on_failure',
  'when',
  'timeout',
  'retry',
  'for_each',
  'sequential',
] as const
const HOOK_KEYS = ['action', 'input'] as const

interface StepInput {
  readonly values: Record<string, unknown>
  readonly sites: Map<string, Site>
  /** Inline steps: entries that define the inline action's input schema. */
  readonly schemaEntries: Entry[]
}

/** Records every templated string of a mapping of values (step and hook inputs). */
function readInputValues(c: Cursor, use: TemplateUse, inline: boolean): StepInput {
  const out: StepInput = { values: {}, sites: new Map(), schemaEntries: [] }
  for (const e of entries(c, 'input must be a mapping of input names to values') ?? []) {
    const value = plainValue(e.value)
    const isField =
      inline && kindOf(e.value.node) === 'mapping' && typeof findEntryValue(e, 'type') === 'string'
    if (isField) {
      out.schemaEntries.push(e)
      continue
    }
    if (isUnquotedTemplate(e.value)) {
      const msg = `input '${e.key}' starts with '{{' but is not quoted, so YAML reads a mapping; quote it`
      report(e.value, 'error', 'wrong-type', msg)
    }
    Object.defineProperty(out.values, e.key, { value, enumerable: true, writable: true })
    out.sites.set(e.key, site(e.keyAt))
    if (typeof value === 'string') recordTemplate(e.value, value, use)
  }
  return out
}

function findEntryValue(e: Entry, key: string): unknown {
  const value = plainValue(e.value) as Record<string, unknown> | null
  return value?.[key]
}

function checkStepName(at: Cursor, name: string, templateName: string): void {
  const reserved = ['input', 'secret', 'hook', 'each', 'state', 'global_state', 'loop']
  if (/[[\]]/.test(name)) {
    report(at, 'error', 'step-name', `step name '${name}' must not contain '[' or ']'`)
  } else if (reserved.includes(templateName)) {
    const what = templateName === 'input' ? 'the task input' : `the '${templateName}' variable`
    report(
      at,
      'error',
      'step-name',
      `step name '${name}' is reserved (it would hide ${what} in templates)`,
    )
  } else if (!/^[A-Za-z0-9_-]*$/.test(name)) {
    const msg = `step name '${name}' has characters outside [A-Za-z0-9_-]; templates cannot reference it`
    report(at, 'warning', 'step-name', msg)
  }
}

function readDependsOn(c: Cursor | undefined): { names: string[]; sites: Site[] } {
  const out = { names: [] as string[], sites: [] as Site[] }
  for (const item of (c && items(c, 'depends_on must be a list of step names')) || []) {
    const name = readString(item, 'depends_on entry')
    if (name === undefined) continue
    out.names.push(name)
    out.sites.push(site(item))
  }
  return out
}

/** Strøm's cap on the items of one `for_each` loop. */
export const MAX_LOOP_ITEMS = 10_000

/** `for_each`: a literal list (kept as plain JSON) or a template rendering to a JSON array. */
function readForEach(c: Cursor, use: TemplateUse): ReadonlyArray<unknown> | string | null {
  const kind = kindOf(c.node)
  if (kind === 'null' || exhausted(c)) return null
  if (kind === 'list') {
    const count = (c.node as { items: unknown[] }).items.length
    if (count <= MAX_LOOP_ITEMS) return plainValue(c) as unknown[]
    const msg = `for_each lists ${count} items; at most ${MAX_LOOP_ITEMS} are allowed`
    report(c, 'error', 'for-each', msg)
    return null
  }
  if (kind !== 'string') {
    wrongType(c, 'for_each must be a list or a template rendering to a JSON array')
    return null
  }
  const text = String((c.node as { value: unknown }).value)
  if (isTemplate(text)) {
    recordTemplate(c, text, use)
    return text
  }
  const msg = `for_each '${text}' is a plain string, not a template; write a YAML list, or a template rendering to a JSON array`
  report(c, 'error', 'for-each', msg)
  return null
}

interface Loop {
  readonly forEach: ReadonlyArray<unknown> | string | null
  readonly sequential: boolean
}

function readLoop(list: ReadonlyArray<Entry>, task: string, step: string): Loop {
  const e = findEntry(list, 'for_each')
  const use: TemplateUse = { kind: 'step', task, step, part: 'for_each' }
  const forEach = e ? readForEach(e.value, use) : null
  const seq = findEntry(list, 'sequential')
  const sequential = seq ? readBool(seq.value, 'sequential') : undefined
  if (seq && sequential !== undefined && (!e || isNull(e.value))) {
    report(seq.keyAt, 'warning', 'for-each', 'sequential has no effect without for_each')
  }
  return { forEach, sequential: sequential ?? false }
}

interface StepForm {
  readonly action: string
  readonly actionSite: Site | null
  readonly inline: ActionDraft | null
  readonly unsupported: string | null
}

function readForm(e: Entry, list: ReadonlyArray<Entry>, task: string, input: StepInput): StepForm {
  const ref = findEntry(list, 'action')
  const type = findEntry(list, 'type')
  if (ref && type)
    report(e.keyAt, 'error', 'step-form', "step has both 'action' and 'type'; use one")
  if (!ref && !type) {
    const msg = "step needs either 'action' (a named action) or 'type' (an inline action)"
    report(e.keyAt, 'error', 'step-form', msg)
  }
  if (ref || !type) {
    const name = (ref && readString(ref.value, 'action')) ?? ''
    if (ref && name.trim() === '' && (isNull(ref.value) || kindOf(ref.value.node) === 'string')) {
      report(ref.value, 'error', 'step-form', "step 'action' is empty")
    }
    // With both forms the action keys are the mistake already reported, not unknown keys.
    checkKeys(list, type ? [...STEP_KEYS, ...SCRIPT_ACTION_KEYS] : STEP_KEYS, 'step')
    return {
      action: name,
      actionSite: ref ? site(ref.value) : null,
      inline: null,
      unsupported: null,
    }
  }
  const name = `_inline:${task}:${e.key}`
  const actionList = list.filter((x) => !(STEP_KEYS as ReadonlyArray<string>).includes(x.key))
  const schema = readInputFields(input.schemaEntries, { kind: 'action', name })
  const inline = buildAction({ name, at: e.keyAt, list: actionList, inlineInput: schema })
  const known = actionKeys(actionList)
  if (known) checkKeys(list, [...STEP_KEYS, ...known], 'step', ACTION_KEY_HINTS)
  return { action: name, actionSite: null, inline, unsupported: inline.def.unsupported }
}

/** One entry of `flow:`. */
export function readStep(e: Entry, task: string): StepDraft | undefined {
  const list = entries(e.value, `step '${e.key}' must be a mapping`)
  if (list === undefined) return undefined
  checkStepName(e.keyAt, e.key, templateStepName(e.key))
  const get = (key: string): Cursor => findEntry(list, key)?.value ?? { ...e.value, node: null }
  const use = (part: 'input' | 'when'): TemplateUse => ({ kind: 'step', task, step: e.key, part })
  const inline = findEntry(list, 'type') !== undefined && !findEntry(list, 'action')
  const input = readInputValues(get('input'), use('input'), inline)
  const form = readForm(e, list, task, input)
  const deps = readDependsOn(findEntry(list, 'depends_on')?.value)
  const when = readString(get('when'), 'when')
  recordTemplate(get('when'), when, use('when'))
  const loop = readLoop(list, task, e.key)
  const retry = get('retry')
  const def: StepDef = {
    name: e.key,
    action: form.action,
    displayName: readString(get('name'), 'name') ?? null,
    description: readString(get('description'), 'description') ?? null,
    dependsOn: deps.names,
    input: input.values,
    continueOnFailure: readBool(get('continue_on_failure'), 'continue_on_failure') ?? false,
    when: when ?? null,
    timeoutSecs: readDuration(get('timeout'), 'step', 'timeout') ?? null,
    retry: isNull(retry) ? null : readRetry(retry),
    forEach: loop.forEach,
    sequential: loop.sequential,
    declared: plainValue(e.value) as Record<string, unknown>,
    at: refOf(site(e.keyAt)),
  }
  return {
    def,
    site: site(e.keyAt),
    actionSite: form.actionSite,
    dependsOnSites: deps.sites,
    inputSites: input.sites,
    inline: form.inline,
    unsupported: form.unsupported,
  }
}

/** A hook list (`on_success`, `on_error`, ...); entries with errors are dropped. */
export function readHooks(c: Cursor, label: string): HookDraft[] {
  const out: HookDraft[] = []
  for (const item of items(c, `${label} must be a list of hooks`) ?? []) {
    const list = entries(item, 'hook must be a mapping with an action')
    if (list === undefined) continue
    checkKeys(list, HOOK_KEYS, 'hook')
    const ref = findEntry(list, 'action')
    const action = ref ? readString(ref.value, 'action') : undefined
    if (!ref || action === undefined || action.trim() === '') {
      report(ref?.value ?? item, 'error', 'hook', "hook needs an 'action'")
      continue
    }
    const inputAt = findEntry(list, 'input')?.value ?? { ...item, node: null }
    const input = readInputValues(inputAt, { kind: 'hook' }, false)
    const def: HookDef = { action, input: input.values, at: refOf(site(item)) }
    out.push({ def, actionSite: site(ref.value), inputSites: input.sites })
  }
  return out
}
