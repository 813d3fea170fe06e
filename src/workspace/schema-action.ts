/** Action definitions (WORKSPACE-FORMAT.md §3), named or inline in a flow step (§5.3). */
import { readInputSchema, readOutputSchema } from './schema-input.ts'
import {
  checkKeys,
  entries,
  findEntry,
  isNull,
  items,
  plainValue,
  readChoice,
  readString,
  readStringList,
  recordTemplate,
  report,
  site,
} from './schema-reader.ts'
import type { Cursor, Entry } from './schema-reader.ts'
import {
  DOCKER_KEYS,
  FOREIGN_DOCKER_KEYS,
  readDockerAction,
  readScriptContainer,
} from './schema-container.ts'
import { readRetry } from './schema-retry.ts'
import type { ActionDraft, TemplateUse } from './schema-types.ts'
import { ACTION_TYPES } from './workspace.ts'
import type {
  ActionDef,
  ActionType,
  ContainerDef,
  InputSchema,
  ScriptLanguage,
} from './workspace.ts'
import { refOf } from './yaml-source.ts'
import type { Site } from './yaml-source.ts'

export const COMMON_ACTION_KEYS = [
  'type',
  'name',
  'description',
  'input',
  'output',
  'env',
  'retry',
  'tags',
  'workdir',
  'resources',
] as const
export const SCRIPT_KEYS = [
  'script',
  'source',
  'language',
  'interpreter',
  'args',
  'runner',
  'dependencies',
  'manifest',
  'image',
  'pull_policy',
] as const
/** Fields of a script action that only `runner: docker` gives a meaning. */
const CONTAINER_SCRIPT_KEYS = ['image', 'pull_policy'] as const
const FOREIGN_SCRIPT_KEYS: Readonly<Record<string, string>> = {
  cmd: "use 'script'",
  command: "use 'script'",
  entrypoint: 'use an action of type docker',
  task: 'use an action of type task',
  message: 'use an action of type approval',
}
/**
 * Fields that start a process or an agent: none belongs on the action types the server runs
 * itself (`task`, `approval`), each reported on its own.
 */
const EXECUTION_KEYS = [
  'script',
  'source',
  'image',
  'cmd',
  'entrypoint',
  'command',
  'runner',
  'language',
  'interpreter',
  'args',
  'dependencies',
  'manifest',
  'provider',
  'prompt',
  'system_prompt',
  'model',
  'max_tokens',
  'temperature',
  'tools',
  'max_turns',
  'interactive',
] as const
/** The one field of each server-run action type; the other type's field is foreign to it. */
const SERVER_ACTION_FIELD = { task: 'task', approval: 'message' } as const
type ServerActionType = keyof typeof SERVER_ACTION_FIELD
export const ACTION_KEY_HINTS: Readonly<Record<string, string>> = {
  timeout: "ignored; actions have no timeout, set 'timeout' on the steps that use it",
}
const LANGUAGES = ['shell', 'python', 'javascript', 'js', 'typescript', 'ts', 'go'] as const
const LATER_LANGUAGES = ['go']
/** Spellings of the same language. */
const LANGUAGE_ALIASES: Readonly<Record<string, ScriptLanguage>> = {
  js: 'javascript',
  ts: 'typescript',
}
const RUNNERS = ['local', 'docker', 'pod'] as const
const INTERPRETER = /^[A-Za-z0-9._/+-]+$/

/** What an action reader needs besides the entries. */
export interface ActionSpec {
  readonly name: string
  /** The action's mapping (or, for an inline action, its step). */
  readonly at: Cursor
  readonly list: ReadonlyArray<Entry>
  /** Inline actions take their input schema from the step (§5.3). */
  readonly inlineInput: InputSchema | null
}

function readType(spec: ActionSpec): ActionType | undefined {
  const e = findEntry(spec.list, 'type')
  const expected = `expected ${ACTION_TYPES.join(', ')}`
  if (!e) {
    report(spec.at, 'error', 'action-type', `action has no 'type' (${expected})`)
    return undefined
  }
  return readChoice(e.value, 'action type', ACTION_TYPES, 'action-type')
}

interface ScriptParts {
  script: string | null
  source: string | null
  sourceSite: Site | null
  language: ScriptLanguage
  interpreter: string | null
  args: string[]
  unsupported: string | null
  /** Set with `runner: docker`. */
  container: ContainerDef | null
}

function readBody(spec: ActionSpec, parts: ScriptParts, use: TemplateUse): void {
  const script = findEntry(spec.list, 'script')
  const source = findEntry(spec.list, 'source')
  if ((script === undefined) === (source === undefined)) {
    const msg = "script action needs exactly one of 'script' or 'source'"
    report(script?.keyAt ?? source?.keyAt ?? spec.at, 'error', 'script-body', msg)
  }
  for (const [e, key] of [
    [script, 'script'],
    [source, 'source'],
  ] as const) {
    if (!e) continue
    const text = readString(e.value, key)
    if (text !== undefined && text.trim() === '') {
      report(e.value, 'error', 'script-body', `${key} is empty`)
    }
    recordTemplate(e.value, text, use)
    if (key === 'script') parts.script = text ?? null
    else {
      parts.source = text ?? null
      parts.sourceSite = site(e.value)
    }
  }
}

function readLanguage(spec: ActionSpec, parts: ScriptParts): void {
  const e = findEntry(spec.list, 'language')
  const language = e ? readChoice(e.value, 'language', LANGUAGES, 'language') : undefined
  if (e && language && LATER_LANGUAGES.includes(language)) {
    parts.unsupported ??= `action '${spec.name}' uses language '${language}', which Weir does not support yet`
    report(e.value, 'unsupported', 'unsupported', parts.unsupported)
  } else if (language) parts.language = LANGUAGE_ALIASES[language] ?? (language as ScriptLanguage)
  const interp = findEntry(spec.list, 'interpreter')
  const interpreter = interp ? readString(interp.value, 'interpreter') : undefined
  if (interp && interpreter !== undefined && !INTERPRETER.test(interpreter)) {
    const msg = `interpreter '${interpreter}' has invalid characters (allowed: letters, digits and . _ / + -)`
    report(interp.value, 'error', 'interpreter', msg)
  } else parts.interpreter = interpreter ?? null
}

function readRunner(spec: ActionSpec, parts: ScriptParts, use: TemplateUse): void {
  const e = findEntry(spec.list, 'runner')
  const runner = e ? readChoice(e.value, 'runner', RUNNERS, 'script-field') : undefined
  if (runner === 'docker') parts.container = readScriptContainer(spec.list, use)
  else {
    for (const key of CONTAINER_SCRIPT_KEYS) {
      const k = findEntry(spec.list, key)
      const msg = `'${key}' is only valid with runner: docker (or use an action of type docker)`
      if (k) report(k.keyAt, 'error', 'script-field', msg)
    }
  }
  if (e && runner === 'pod') {
    parts.unsupported ??= `action '${spec.name}' uses runner '${runner}', which Weir does not support yet`
    report(e.value, 'unsupported', 'unsupported', parts.unsupported)
  }
  const manifest = findEntry(spec.list, 'manifest')
  if (manifest && runner !== 'pod') {
    report(manifest.keyAt, 'error', 'script-field', "'manifest' is only valid with runner: pod")
  }
  const deps = findEntry(spec.list, 'dependencies')
  const list = deps ? readStringList(deps.value, 'dependencies', 'dependency') : undefined
  if (deps && list && list.length > 0) {
    parts.unsupported ??= `action '${spec.name}' declares dependencies, which Weir does not install yet`
    report(deps.value, 'unsupported', 'unsupported', parts.unsupported)
  }
  for (const e of spec.list) {
    const fix = FOREIGN_SCRIPT_KEYS[e.key]
    if (fix)
      report(e.keyAt, 'error', 'script-field', `'${e.key}' is not valid on a script action; ${fix}`)
  }
}

function readArgs(spec: ActionSpec, parts: ScriptParts, use: TemplateUse): void {
  const e = findEntry(spec.list, 'args')
  for (const item of (e && items(e.value, 'args must be a list of strings')) || []) {
    const text = readString(item, 'arg')
    if (text === undefined) continue
    parts.args.push(text)
    recordTemplate(item, text, use)
  }
}

function readEnv(spec: ActionSpec, use: TemplateUse): Record<string, string> {
  const e = findEntry(spec.list, 'env')
  const out: Array<[string, string]> = []
  for (const x of (e && entries(e.value, 'env must be a mapping of names to strings')) || []) {
    const text = readString(x.value, `env '${x.key}'`)
    if (text === undefined) continue
    out.push([x.key, text])
    recordTemplate(x.value, text, use)
  }
  // fromEntries defines own properties, so even a `__proto__` key stays plain data.
  return Object.fromEntries(out)
}

function readScriptParts(spec: ActionSpec, use: TemplateUse): ScriptParts {
  const parts: ScriptParts = {
    script: null,
    source: null,
    sourceSite: null,
    language: 'shell',
    interpreter: null,
    args: [],
    unsupported: null,
    container: null,
  }
  readBody(spec, parts, use)
  readLanguage(spec, parts)
  readRunner(spec, parts, use)
  readArgs(spec, parts, use)
  return parts
}

function optionalString(spec: ActionSpec, key: string): string | null {
  const e = findEntry(spec.list, key)
  return (e && readString(e.value, key)) ?? null
}

interface ServerParts {
  task: string | null
  taskSite: Site | null
  message: string | null
}

const SERVER_FIELD_HELP = {
  task: 'the name of the task to run',
  message: 'what the approver is asked',
} as const

/**
 * `type: task` (a child job of another task) and `type: approval` (a wait for a person): the
 * server runs these steps itself, so every execution field is a mistake.
 */
function readServerParts(spec: ActionSpec, type: ServerActionType): ServerParts {
  const parts: ServerParts = { task: null, taskSite: null, message: null }
  const key = SERVER_ACTION_FIELD[type]
  const code = type === 'task' ? 'task-action' : 'approval-message'
  const e = findEntry(spec.list, key)
  const text = e ? readString(e.value, key) : undefined
  if (!e || isNull(e.value)) {
    const msg = `${type} action needs a '${key}' (${SERVER_FIELD_HELP[key]})`
    report(e?.keyAt ?? spec.at, 'error', code, msg)
  } else if (text !== undefined && text.trim() === '') {
    report(e.value, 'error', code, `'${key}' is empty`)
  } else if (text !== undefined && key === 'task') {
    parts.task = text
    parts.taskSite = site(e.value)
  } else if (text !== undefined) {
    parts.message = text
    recordTemplate(e.value, text, { kind: 'approval-message', action: spec.name })
  }
  const kind = type === 'task' ? 'a task' : 'an approval'
  for (const x of spec.list) {
    const other = Object.values(SERVER_ACTION_FIELD).some((f) => f === x.key && f !== key)
    if (other || (EXECUTION_KEYS as ReadonlyArray<string>).includes(x.key)) {
      report(x.keyAt, 'error', 'action-field', `'${x.key}' is not valid on ${kind} action`)
    }
  }
  return parts
}

/**
 * Keys an action of this type may carry (foreign ones included: they are reported as errors of
 * their own), or null for the types whose shape this release does not model.
 */
export function actionKeys(list: ReadonlyArray<Entry>): ReadonlyArray<string> | null {
  const typeEntry = findEntry(list, 'type')
  const type = typeEntry ? plainValue(typeEntry.value) : undefined
  if (type === 'script') return SCRIPT_ACTION_KEYS
  if (type === 'docker') return DOCKER_ACTION_KEYS
  if (type === 'task' || type === 'approval') {
    return [...COMMON_ACTION_KEYS, ...EXECUTION_KEYS, ...Object.values(SERVER_ACTION_FIELD)]
  }
  return null
}

/**
 * Builds an action from its entries. Unknown keys are left to the caller: an inline step mixes
 * step keys in, and the other action types have shapes this release does not model.
 */
export function buildAction(spec: ActionSpec): ActionDraft {
  const inline = spec.inlineInput !== null
  const type = readType(spec)
  const use: TemplateUse = { kind: 'action', action: spec.name }
  const inputEntry = findEntry(spec.list, 'input')
  const owner = { kind: 'action', name: spec.name } as const
  const input =
    spec.inlineInput ?? (inputEntry ? readInputSchema(inputEntry.value, owner).schema : [])
  const output = findEntry(spec.list, 'output')
  if (output) readOutputSchema(output.value)
  const parts = type === 'script' ? readScriptParts(spec, use) : null
  const server = type === 'task' || type === 'approval' ? readServerParts(spec, type) : null
  const container =
    type === 'docker' ? readDockerAction(spec.at, spec.list, use) : (parts?.container ?? null)
  let unsupported = parts?.unsupported ?? null
  if (type === 'pod' || type === 'agent') {
    unsupported = `action '${spec.name}' has type '${type}', which Weir does not support yet`
    report(findEntry(spec.list, 'type')!.value, 'unsupported', 'unsupported', unsupported)
  }
  const retry = inline ? undefined : findEntry(spec.list, 'retry')
  const tags = findEntry(spec.list, 'tags')
  const def: ActionDef = {
    name: spec.name,
    type: type ?? 'script',
    displayName: inline ? null : optionalString(spec, 'name'),
    description: inline ? null : optionalString(spec, 'description'),
    input,
    env: readEnv(spec, use),
    retry: retry ? readRetry(retry.value) : null,
    tags: (tags && readStringList(tags.value, 'tags', 'tag')) || [],
    script: parts?.script ?? null,
    source: parts?.source ?? null,
    language: parts?.language ?? 'shell',
    interpreter: parts?.interpreter ?? null,
    args: parts?.args ?? [],
    runner: container ? 'docker' : 'local',
    ...(container ? { container } : {}),
    task: server?.task ?? null,
    message: server?.message ?? null,
    unsupported,
    at: refOf(site(spec.at)),
  }
  return {
    def,
    site: site(spec.at),
    sourceSite: parts?.sourceSite ?? null,
    taskSite: server?.taskSite ?? null,
  }
}

/** Keys a script action may carry (the foreign ones are reported as script-field errors). */
export const SCRIPT_ACTION_KEYS: ReadonlyArray<string> = [
  ...COMMON_ACTION_KEYS,
  ...SCRIPT_KEYS,
  ...Object.keys(FOREIGN_SCRIPT_KEYS),
]

/** Keys a docker action may carry (Strøm's script fields are reported as action-field errors). */
const DOCKER_ACTION_KEYS: ReadonlyArray<string> = [
  ...COMMON_ACTION_KEYS,
  ...DOCKER_KEYS,
  ...Object.keys(FOREIGN_DOCKER_KEYS),
]

/** A named action under `actions:`. */
export function readAction(e: Entry): ActionDraft | undefined {
  const list = entries(e.value, `action '${e.key}' must be a mapping`)
  if (list === undefined) return undefined
  const draft = buildAction({ name: e.key, at: e.keyAt, list, inlineInput: null })
  const known = actionKeys(list)
  if (known) checkKeys(list, known, 'action', ACTION_KEY_HINTS)
  return draft
}
