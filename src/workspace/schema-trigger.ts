/** Trigger definitions (WORKSPACE-FORMAT.md §6): scheduler, webhook, and event_source ([Later]). */
import {
  checkKeys,
  entries,
  findEntry,
  isNull,
  kindOf,
  plainValue,
  readBool,
  readChoice,
  readInteger,
  readString,
  readStringMap,
  recordTemplate,
  report,
  site,
  wrongType,
} from './schema-reader.ts'
import type { Cursor, Entry } from './schema-reader.ts'
import type { TriggerDraft } from './schema-types.ts'
import { CATCH_UP_POLICIES, CONCURRENCY_POLICIES, TRIGGER_TYPES } from './workspace.ts'
import type { TriggerDef, TriggerType } from './workspace.ts'
import { refOf } from './yaml-source.ts'

const COMMON_KEYS = ['type', 'task', 'enabled', 'input', 'force_refresh']
const KEYS_BY_TYPE: Readonly<Record<TriggerType, ReadonlyArray<string>>> = {
  scheduler: [...COMMON_KEYS, 'cron', 'timezone', 'concurrency', 'catch_up', 'max_catch_up'],
  webhook: [...COMMON_KEYS, 'name', 'secret', 'mode', 'timeout_secs'],
  event_source: [
    ...COMMON_KEYS,
    'target_task',
    'env',
    'restart_policy',
    'backoff_secs',
    'max_in_flight',
  ],
}
const WEBHOOK_NAME = /^[A-Za-z0-9_-]+$/
const RESTART_POLICIES = ['always', 'on_failure', 'never'] as const

type Reader = (key: string) => Cursor

/** An integer field with bounds, reported as `trigger-field`. */
function readBounded(at: Reader, key: string, min: number, max: number): number | null {
  const c = at(key)
  const n = readInteger(c, key)
  if (n === undefined) return null
  if (n >= min && n <= max) return n
  const range = max === Infinity ? `must be at least ${min}` : `is out of range ${min}..${max}`
  report(c, 'error', 'trigger-field', `${key} ${n} ${range}`)
  return null
}

function readType(e: Entry, list: ReadonlyArray<Entry>): TriggerType | undefined {
  const typeEntry = findEntry(list, 'type')
  if (!typeEntry) {
    const msg = `trigger has no 'type' (expected ${TRIGGER_TYPES.join(', ')})`
    report(e.keyAt, 'error', 'trigger-field', msg)
    return undefined
  }
  return readChoice(typeEntry.value, 'trigger type', TRIGGER_TYPES, 'trigger-field')
}

function readTriggerInput(c: Cursor, templated: boolean): Record<string, unknown> {
  if (isNull(c)) return {}
  if (kindOf(c.node) !== 'mapping') {
    wrongType(c, 'input must be a mapping of input names to values')
    return {}
  }
  if (templated) {
    for (const e of entries(c, '') ?? []) {
      if (kindOf(e.value.node) === 'string') {
        recordTemplate(e.value, plainValue(e.value) as string, { kind: 'webhook-input' })
      }
    }
  }
  return plainValue(c) as Record<string, unknown>
}

function readScheduler(at: Reader, e: Entry, list: ReadonlyArray<Entry>): Partial<TriggerDef> {
  const cron = readString(at('cron'), 'cron')
  if (!findEntry(list, 'cron')) {
    report(e.keyAt, 'error', 'cron', "scheduler trigger needs a 'cron' expression")
  }
  return {
    cron: cron ?? null,
    timezone: readString(at('timezone'), 'timezone') ?? 'UTC',
    concurrency:
      readChoice(at('concurrency'), 'concurrency', CONCURRENCY_POLICIES, 'trigger-field') ??
      'allow',
    catchUp: readChoice(at('catch_up'), 'catch_up', CATCH_UP_POLICIES, 'trigger-field') ?? null,
    maxCatchUp: readBounded(at, 'max_catch_up', 1, Infinity),
  }
}

function readWebhook(at: Reader, e: Entry): Partial<TriggerDef> {
  const name = readString(at('name'), 'name')
  if (name !== undefined && !WEBHOOK_NAME.test(name)) {
    const msg = `webhook name '${name}' has invalid characters (use letters, digits, _ and -)`
    report(at('name'), 'error', 'trigger-field', msg)
  }
  const secret = readString(at('secret'), 'secret')
  if (secret === undefined) {
    const msg = 'webhook trigger has no secret, so requests are not authenticated'
    report(e.keyAt, 'warning', 'trigger-field', msg)
  } else recordTemplate(at('secret'), secret, { kind: 'webhook-secret' })
  const mode = readChoice(at('mode'), 'webhook mode', ['async', 'sync'] as const, 'trigger-field')
  const timeoutSecs = readBounded(at, 'timeout_secs', 1, 300)
  if (timeoutSecs !== null && mode !== 'sync') {
    const msg = 'timeout_secs only applies to mode: sync (ignored)'
    report(at('timeout_secs'), 'warning', 'trigger-field', msg)
  }
  return {
    webhookName: name ?? null,
    secret: secret ?? null,
    webhookMode: mode ?? 'async',
    timeoutSecs: timeoutSecs ?? 30,
  }
}

function readEventSource(
  at: Reader,
  e: Entry,
  list: ReadonlyArray<Entry>,
  task: string | undefined,
): TriggerDraft['targetTask'] {
  const msg = `trigger '${e.key}' is an event source, which Weir does not support yet`
  report(findEntry(list, 'type')!.value, 'unsupported', 'unsupported', msg)
  const target = readString(at('target_task'), 'target_task')
  if (target !== undefined && target === task) {
    report(at('target_task'), 'error', 'trigger-field', 'target_task must differ from task')
  }
  readStringMap(at('env'), 'env')
  readChoice(at('restart_policy'), 'restart_policy', RESTART_POLICIES, 'trigger-field')
  readBounded(at, 'backoff_secs', 1, Infinity)
  readBounded(at, 'max_in_flight', 1, Infinity)
  return target === undefined ? null : { name: target, site: site(at('target_task')) }
}

function siteIfPresent(list: ReadonlyArray<Entry>, key: string): TriggerDraft['cronSite'] {
  const e = findEntry(list, key)
  return e ? site(e.value) : null
}

/** Fields of the other trigger types, overridden by the reader of the actual type. */
const TYPE_FIELDS = {
  cron: null,
  timezone: 'UTC',
  concurrency: 'allow',
  catchUp: null,
  maxCatchUp: null,
  webhookName: null,
  secret: null,
  webhookMode: null,
  timeoutSecs: null,
} as const satisfies Partial<TriggerDef>

/** One entry of `triggers:`. */
export function readTrigger(e: Entry): TriggerDraft | undefined {
  const list = entries(e.value, `trigger '${e.key}' must be a mapping`)
  if (list === undefined) return undefined
  const at: Reader = (key) => findEntry(list, key)?.value ?? { ...e.value, node: null }
  const type = readType(e, list)
  if (type) checkKeys(list, KEYS_BY_TYPE[type], `${type.replace('_', '-')} trigger`)
  const task = readString(at('task'), 'task')
  if (!findEntry(list, 'task')) report(e.keyAt, 'error', 'trigger-field', "trigger needs a 'task'")
  const strom = type === 'webhook' && findEntry(list, 'name') !== undefined
  const scheduler = type === 'scheduler' ? readScheduler(at, e, list) : {}
  const webhook = type === 'webhook' ? readWebhook(at, e) : {}
  const target = type === 'event_source' ? readEventSource(at, e, list, task) : null
  const s = site(e.keyAt)
  const def: TriggerDef = {
    name: e.key,
    type: type ?? 'scheduler',
    task: task ?? '',
    enabled: readBool(at('enabled'), 'enabled') ?? true,
    input: readTriggerInput(at('input'), type === 'webhook' && !strom),
    forceRefresh: readBool(at('force_refresh'), 'force_refresh') ?? false,
    ...TYPE_FIELDS,
    ...scheduler,
    ...webhook,
    at: refOf(s),
  }
  return {
    def,
    site: s,
    taskSite: siteIfPresent(list, 'task'),
    cronSite: siteIfPresent(list, 'cron'),
    timezoneSite: siteIfPresent(list, 'timezone'),
    inputSite: siteIfPresent(list, 'input'),
    nameSite: type === 'webhook' ? siteIfPresent(list, 'name') : null,
    targetTask: target,
  }
}
