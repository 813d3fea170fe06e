/**
 * A task's input schema as form fields, the form's values as the execute body's `input`, and
 * the API's 400 (API.md §4.4) split per field. Pure: no DOM, so it is unit-tested.
 */
import type { InputFieldDef } from '../data/types.ts'

/** What the re-run of a job sends for a secret field left untouched: the server replays it. */
export const SECRET_SENTINEL = '••••••'

export type FieldKind =
  | 'text'
  | 'textarea'
  | 'integer'
  | 'number'
  | 'boolean'
  | 'date'
  | 'datetime'
  | 'select'
  | 'combo'
  | 'multi'
  | 'secret'

export interface FormField {
  readonly name: string
  readonly label: string
  readonly kind: FieldKind
  readonly type: string
  readonly description: string | null
  readonly required: boolean
  readonly options: ReadonlyArray<string>
  readonly def: InputFieldDef
}

/** A form value as the controls hold it: strings, a boolean, or the chosen options. */
export type FormValue = string | boolean | string[]
export type FormValues = Record<string, FormValue>

function kindOf(d: InputFieldDef): FieldKind {
  if (d.secret) return 'secret'
  if (d.options && d.options.length > 0) {
    if (d.multiple) return 'multi'
    return d.allow_custom ? 'combo' : 'select'
  }
  switch (d.type) {
    case 'text':
      return 'textarea'
    case 'integer':
      return 'integer'
    case 'number':
      return 'number'
    case 'boolean':
    case 'bool':
      return 'boolean'
    case 'date':
      return 'date'
    case 'datetime':
      return 'datetime'
    default:
      return 'text'
  }
}

/** Fields in `order`, then declaration order. */
export function formFields(schema: Readonly<Record<string, InputFieldDef>>): FormField[] {
  return Object.entries(schema)
    .map(([name, def], i) => ({ name, def, i }))
    .sort((a, b) => (a.def.order ?? Infinity) - (b.def.order ?? Infinity) || a.i - b.i)
    .map(({ name, def }) => ({
      name,
      label: def.name ?? name,
      kind: kindOf(def),
      type: def.type,
      description: def.description ?? null,
      required: def.required === true,
      options: def.options ?? [],
      def,
    }))
}

function toText(v: unknown): string {
  if (v === undefined || v === null) return ''
  return typeof v === 'string' ? v : JSON.stringify(v)
}

/** The controls' starting values: the prefill (a re-run's input) or the schema default. */
export function initialValues(
  fields: ReadonlyArray<FormField>,
  prefill?: Readonly<Record<string, unknown>>,
): FormValues {
  const out: FormValues = {}
  for (const f of fields) {
    const has = prefill !== undefined && Object.hasOwn(prefill, f.name)
    const v = has ? prefill[f.name] : f.def.default
    if (f.kind === 'secret') out[f.name] = has ? SECRET_SENTINEL : ''
    else if (f.kind === 'boolean') out[f.name] = v === true
    else if (f.kind === 'multi') out[f.name] = Array.isArray(v) ? v.map(String) : []
    else if (f.kind === 'datetime')
      out[f.name] = toText(v).replace(/(T\d\d:\d\d)(:\d\d(\.\d+)?)?Z$/, '$1')
    else out[f.name] = toText(v)
  }
  return out
}

/**
 * The `input` object to send. An empty control is left out, so the server applies the default
 * (and says so when a required field is missing); numbers are sent as numbers only when they
 * read as one, else as typed, so the server's message names the field.
 */
export function toInput(
  fields: ReadonlyArray<FormField>,
  values: FormValues,
): Record<string, unknown> {
  const input: Record<string, unknown> = {}
  for (const f of fields) {
    const v = values[f.name]
    if (v === undefined) continue
    if (f.kind === 'boolean') {
      input[f.name] = v === true
      continue
    }
    if (f.kind === 'multi') {
      if (Array.isArray(v) && v.length > 0) input[f.name] = v
      continue
    }
    if (typeof v !== 'string' || v === '') continue
    if (f.kind === 'integer' || f.kind === 'number') {
      const n = Number(v)
      input[f.name] = v.trim() !== '' && Number.isFinite(n) ? n : v
    } else input[f.name] = v
  }
  return input
}

/**
 * Splits `invalid input: input.a: msg; input.b: msg` (or `invalid approval: …`) into a message
 * per field name; text that names no field is returned under ''.
 */
export function fieldErrors(message: string): Record<string, string> {
  const out: Record<string, string> = {}
  const body = message.replace(/^invalid [a-z ]+: /, '')
  for (const part of body.split('; ')) {
    const m = /^input\.([^:]+): (.*)$/s.exec(part)
    if (m) out[m[1]!] = out[m[1]!] ? `${out[m[1]!]}; ${m[2]}` : m[2]!
    else out[''] = out[''] ? `${out['']}; ${part}` : part
  }
  return out
}
