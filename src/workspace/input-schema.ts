/**
 * Execute-time input validation (API.md §4.4, authoritative for checks, order and wording).
 * Strict: values are never coerced. Messages never echo a submitted value, since a field may be
 * secret; they name the path, what was expected and the JSON type that arrived.
 */
import type { InputField, InputSchema, InputType } from './workspace.ts'
import { isCalendarDate, isDateTime } from '../shared/calendar.ts'
import { assertNever } from '../shared/errors.ts'

export interface InputIssue {
  readonly path: string
  readonly message: string
}

export type InputCheck =
  | { readonly ok: true; readonly value: Record<string, unknown> }
  | { readonly ok: false; readonly issues: ReadonlyArray<InputIssue> }

export interface InputOptions {
  /** Renders a string default containing `{{` (with `secret` only, WORKSPACE-FORMAT.md §4.1). */
  readonly renderDefault?: (template: string) => unknown
}

type PlainObject = Record<string, unknown>

/** The JSON type name of a value, as used in "got <type>" messages. */
export function describeJsonType(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  return typeof v
}

/** Formats issues as `invalid input: <path>: <message>; …` (API.md §4.4). */
export function formatInputIssues(issues: ReadonlyArray<InputIssue>): string {
  return `invalid input: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`
}

/**
 * Checks 2-4 of API.md §4.4. Issues come unknown fields first (sorted), then declared fields in
 * declaration order. A task that declares no input accepts any object unchecked (Strøm keeps
 * undeclared keys). On success `value` holds the accepted fields plus defaults.
 */
export function validateInput(
  schema: InputSchema,
  declaresInput: boolean,
  input: unknown,
  opts: InputOptions = {},
): InputCheck {
  const given = input === undefined || input === null ? {} : input
  if (!isPlainObject(given)) {
    return { ok: false, issues: [{ path: 'input', message: 'expected object' }] }
  }
  if (!declaresInput) return { ok: true, value: { ...given } }
  const declared = new Set(schema.map(([name]) => name))
  const issues: InputIssue[] = Object.keys(given)
    .filter((k) => !declared.has(k))
    .sort()
    .map((k) => ({ path: `input.${k}`, message: 'unknown field' }))
  const entries: Array<[string, unknown]> = []
  for (const [name, field] of schema) {
    const raw = Object.hasOwn(given, name) ? given[name] : undefined
    const result = checkField(`input.${name}`, field, raw)
    if (result === 'default') entries.push([name, renderDefault(field.default, opts)])
    else if (result === 'absent') continue
    else if ('issues' in result) issues.push(...result.issues)
    else entries.push([name, result.value])
  }
  // fromEntries defines own properties, so even a field named `__proto__` stays plain data.
  return issues.length > 0
    ? { ok: false, issues }
    : { ok: true, value: Object.fromEntries(entries) }
}

type FieldResult =
  'absent' | 'default' | { readonly value: unknown } | { readonly issues: InputIssue[] }

function checkField(path: string, field: InputField, raw: unknown): FieldResult {
  // null counts as absent (Strøm would keep the null and skip the default).
  if (raw === undefined || raw === null) {
    if (field.default !== undefined) return 'default'
    if (field.required) return { issues: [{ path, message: 'required field is missing' }] }
    return 'absent'
  }
  if (!field.multiple) {
    const issue = checkValue(path, field, raw)
    return issue === null ? { value: raw } : { issues: [issue] }
  }
  if (!Array.isArray(raw)) {
    return {
      issues: [
        { path, message: `expected list of ${plural(field.type)}, got ${describeJsonType(raw)}` },
      ],
    }
  }
  const issues = raw.flatMap((item: unknown, i) => checkValue(`${path}[${i}]`, field, item) ?? [])
  return issues.length > 0 ? { issues } : { value: raw }
}

function renderDefault(value: unknown, opts: InputOptions): unknown {
  const render = opts.renderDefault
  if (render === undefined) return value
  const one = (v: unknown): unknown => (typeof v === 'string' && v.includes('{{') ? render(v) : v)
  return Array.isArray(value) ? value.map(one) : one(value)
}

/** Type check, then options (compared as strings) unless `allow_custom`. */
function checkValue(path: string, field: InputField, value: unknown): InputIssue | null {
  const typeProblem = checkType(field.type, value)
  if (typeProblem !== null) return { path, message: typeProblem }
  if (field.options !== null && !field.allowCustom && !field.options.includes(String(value))) {
    return { path, message: `must be one of [${field.options.join(', ')}]` }
  }
  return null
}

function checkType(type: InputType, value: unknown): string | null {
  const got = `got ${describeJsonType(value)}`
  switch (type) {
    case 'string':
    case 'text':
      return typeof value === 'string' ? null : `expected string, ${got}`
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return `expected integer, ${got}`
      return Math.abs(value) <= Number.MAX_SAFE_INTEGER
        ? null
        : `integer out of range (at most ±${Number.MAX_SAFE_INTEGER})`
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? null : `expected number, ${got}`
    case 'boolean':
      return typeof value === 'boolean' ? null : `expected boolean, ${got}`
    case 'date':
      if (typeof value !== 'string') return `expected date (YYYY-MM-DD), ${got}`
      return isCalendarDate(value) ? null : 'not a valid date (expected YYYY-MM-DD)'
    case 'datetime':
      if (typeof value !== 'string') return `expected datetime (RFC 3339), ${got}`
      return isDateTime(value)
        ? null
        : 'not a valid datetime (expected RFC 3339, e.g. 2026-01-15T14:30:00Z)'
    default:
      return assertNever(type, 'input type')
  }
}

function plural(type: InputType): string {
  return `${type === 'text' ? 'string' : type}s`
}

function isPlainObject(v: unknown): v is PlainObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
