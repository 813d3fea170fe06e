/** Flow steps (WORKSPACE-FORMAT.md §5.2), in reference or inline form (§5.3), and hook lists. */
import { ACTION_KEY_HINTS, SCRIPT_ACTION_KEYS, buildAction } from './schema-action.ts'
import { readInputFields } from './schema-input.ts'
import {
  checkKeys,
  entries,
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

function laterFeature(list: ReadonlyArray<Entry>, step: string): string | null {
  for (const key of ['for_each', 'sequential']) {
    const e = findEntry(list, key)
    if (!e) continue
    const message = `step '${step}' uses ${key}, which Weir does not support yet`
    report(e.keyAt, 'unsupported', 'unsupported', message)
    return message
  }
  return null
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
    let unsupported: string | null = null
    if (ref && name.trim() === '' && (isNull(ref.value) || kindOf(ref.value.node) === 'string')) {
      report(ref.value, 'error', 'step-form', "step 'action' is empty")
    } else if (ref && name.includes('.')) {
      unsupported = `step '${e.key}' uses action '${name}' from a library or another workspace, which Weir does not support yet`
      report(ref.value, 'unsupported', 'unsupported', unsupported)
    }
    // With both forms the action keys are the mistake already reported, not unknown keys.
    checkKeys(list, type ? [...STEP_KEYS, ...SCRIPT_ACTION_KEYS] : STEP_KEYS, 'step')
    return { action: name, actionSite: ref ? site(ref.value) : null, inline: null, unsupported }
  }
  const name = `_inline:${task}:${e.key}`
  const actionList = list.filter((x) => !(STEP_KEYS as ReadonlyArray<string>).includes(x.key))
  const schema = readInputFields(input.schemaEntries, { kind: 'action', name })
  const inline = buildAction({ name, at: e.keyAt, list: actionList, inlineInput: schema })
  if (plainValue(type.value) === 'script') {
    checkKeys(list, [...STEP_KEYS, ...SCRIPT_ACTION_KEYS], 'step', ACTION_KEY_HINTS)
  }
  return { action: name, actionSite: null, inline, unsupported: inline.def.unsupported }
}

/** One entry of `flow:`. */
export function readStep(e: Entry, task: string): StepDraft | undefined {
  const list = entries(e.value, `step '${e.key}' must be a mapping`)
  if (list === undefined) return undefined
  checkStepName(e.keyAt, e.key, templateStepName(e.key))
  const get = (key: string): Cursor => findEntry(list, key)?.value ?? { ...e.value, node: null }
  const use: TemplateUse = { kind: 'step', task, step: e.key }
  const inline = findEntry(list, 'type') !== undefined && !findEntry(list, 'action')
  const input = readInputValues(get('input'), use, inline)
  const form = readForm(e, list, task, input)
  const deps = readDependsOn(findEntry(list, 'depends_on')?.value)
  const when = readString(get('when'), 'when')
  recordTemplate(get('when'), when, use)
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
    declared: plainValue(e.value) as Record<string, unknown>,
    at: refOf(site(e.keyAt)),
  }
  const unsupported = laterFeature(list, e.key) ?? form.unsupported
  return {
    def,
    site: site(e.keyAt),
    actionSite: form.actionSite,
    dependsOnSites: deps.sites,
    inputSites: input.sites,
    inline: form.inline,
    unsupported,
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
    out.push({ def, actionSite: site(ref.value) })
  }
  return out
}
