/**
 * Input and output field definitions (WORKSPACE-FORMAT.md §4.1, §4.3): shape, `input-type`,
 * `input-default` and `input-options`.
 */
import { isTemplate } from '../templates/render.ts'
import {
  checkKeys,
  entries,
  findEntry,
  isNull,
  plainValue,
  readBool,
  readInteger,
  readString,
  readStringList,
  report,
  site,
} from './schema-reader.ts'
import type { Cursor, Entry } from './schema-reader.ts'
import { describeValue, misfit } from './input-values.ts'
import { INPUT_TYPES } from './workspace.ts'
import type { InputField, InputSchema, InputType } from './workspace.ts'

const INPUT_KEYS = [
  'type',
  'name',
  'description',
  'required',
  'default',
  'options',
  'allow_custom',
  'multiple',
  'secret',
  'order',
] as const
const OUTPUT_KEYS = ['type', 'description', 'required', 'default', 'options'] as const
const OUTPUT_TYPES = ['string', 'integer', 'number', 'boolean', 'array', 'object'] as const

export interface InputSchemaRead {
  readonly schema: InputSchema
  /** The mapping as written, echoed by the API. */
  readonly declared: Readonly<Record<string, unknown>>
}

export type SchemaOwner = { readonly kind: 'task' | 'action'; readonly name: string }

function readFieldType(
  field: Cursor,
  e: Entry | undefined,
  name: string,
  owner: SchemaOwner,
): InputType | undefined {
  if (!e || isNull(e.value)) {
    report(e?.value ?? field, 'error', 'input-type', `input '${name}' has no type`)
    return undefined
  }
  const raw = readString(e.value, 'type')
  if (raw === undefined) return undefined
  const type = raw === 'bool' ? 'boolean' : raw
  if ((INPUT_TYPES as ReadonlyArray<string>).includes(type)) return type as InputType
  field.ctx.customTypes.push({ owner, field: name, type: raw, site: site(e.value) })
  return undefined
}

function checkOptions(e: Entry | undefined, options: ReadonlyArray<string> | undefined): void {
  if (!e || options === undefined) return
  if (options.length === 0) report(e.value, 'warning', 'input-options', 'options is empty')
  const seen = new Set<string>()
  for (const option of options) {
    if (seen.has(option)) {
      report(e.value, 'warning', 'input-options', `option '${option}' is listed twice`)
    }
    seen.add(option)
  }
}

interface FieldParts {
  readonly name: string
  readonly type: InputType
  readonly options: ReadonlyArray<string> | undefined
  readonly multiple: boolean
  readonly allowCustom: boolean
}

/** Checks an untemplated default against the type and options; returns false on input-type. */
function checkDefault(c: Cursor, value: unknown, f: FieldParts): boolean {
  if (f.multiple && !Array.isArray(value)) {
    report(c, 'error', 'input-type', `input '${f.name}' is multiple, so its default must be a list`)
    return false
  }
  const values = f.multiple ? (value as unknown[]) : [value]
  for (const v of values) {
    const why = misfit(f.type, v)
    if (why !== null) {
      report(
        c,
        'warning',
        'input-default',
        `default ${describeValue(v)} is ${why} but input '${f.name}' is ${f.type}`,
      )
    } else if (f.options && !f.allowCustom && !f.options.includes(String(v))) {
      const list = `[${f.options.join(', ')}]`
      report(c, 'warning', 'input-options', `default '${String(v)}' is not one of options ${list}`)
    }
  }
  return true
}

function checkMultiple(c: Cursor, f: FieldParts, secret: boolean): boolean {
  if (!f.multiple) return true
  const problem =
    f.type !== 'string' && f.type !== 'text'
      ? `multiple is only allowed on string and text inputs, not ${f.type}`
      : secret
        ? 'multiple cannot be combined with secret'
        : f.options === undefined
          ? 'multiple needs options'
          : null
  if (problem !== null) report(c, 'error', 'input-type', `input '${f.name}': ${problem}`)
  return problem === null
}

function readDefault(e: Entry | undefined, f: FieldParts): unknown {
  if (!e || isNull(e.value)) return undefined
  const value = plainValue(e.value)
  if (typeof value === 'string' && isTemplate(value)) {
    e.value.ctx.templates.push({ text: value, site: site(e.value), use: { kind: 'input-default' } })
    return value
  }
  checkDefault(e.value, value, f)
  return value
}

function readField(c: Cursor, name: string, owner: SchemaOwner): InputField | undefined {
  const list = entries(c, `input '${name}' must be a mapping with a 'type'`)
  if (list === undefined) return undefined
  checkKeys(list, INPUT_KEYS, `input '${name}'`)
  const get = (key: string): Cursor => findEntry(list, key)?.value ?? { ...c, node: null }
  const type = readFieldType(c, findEntry(list, 'type'), name, owner)
  const optionsEntry = findEntry(list, 'options')
  const options = optionsEntry ? readStringList(optionsEntry.value, 'options', 'option') : undefined
  checkOptions(optionsEntry, options)
  const fixed = {
    name: readString(get('name'), 'name') ?? null,
    description: readString(get('description'), 'description') ?? null,
    required: readBool(get('required'), 'required') ?? false,
    allowCustom: readBool(get('allow_custom'), 'allow_custom') ?? false,
    multiple: readBool(get('multiple'), 'multiple') ?? false,
    secret: readBool(get('secret'), 'secret') ?? false,
    order: readInteger(get('order'), 'order') ?? null,
  }
  if (type === undefined) return undefined
  const parts: FieldParts = {
    name,
    type,
    options,
    multiple: fixed.multiple,
    allowCustom: fixed.allowCustom,
  }
  if (!checkMultiple(findEntry(list, 'multiple')?.value ?? c, parts, fixed.secret)) return undefined
  const value = readDefault(findEntry(list, 'default'), parts)
  const field: InputField = { ...fixed, type, options: options ?? null }
  return value === undefined ? field : { ...field, default: value }
}

/** Reads input field definitions; fields with errors are left out of the schema. */
export function readInputFields(list: ReadonlyArray<Entry>, owner: SchemaOwner): InputSchema {
  const schema: Array<readonly [string, InputField]> = []
  for (const e of list) {
    const field = readField(e.value, e.key, owner)
    if (field) schema.push([e.key, field])
  }
  return schema
}

/** Reads an `input:` mapping of a task or action. */
export function readInputSchema(c: Cursor, owner: SchemaOwner): InputSchemaRead {
  const list = entries(c, 'input must be a mapping of field names to field definitions') ?? []
  const declared = isNull(c) ? {} : plainValue(c)
  return {
    schema: readInputFields(list, owner),
    declared: (declared ?? {}) as Record<string, unknown>,
  }
}

function checkOutputType(field: Entry, e: Entry | undefined): void {
  if (!e || isNull(e.value)) {
    report(e?.value ?? field.keyAt, 'error', 'input-type', `output '${field.key}' has no type`)
    return
  }
  const raw = readString(e.value, 'type')
  if (raw === undefined || (OUTPUT_TYPES as ReadonlyArray<string>).includes(raw)) return
  if (raw !== 'bool') {
    report(e.value, 'error', 'input-type', `output '${field.key}' has unknown type '${raw}'`)
  }
}

/** Shape of an `output:` mapping; informational only, so nothing is kept. */
export function readOutputSchema(c: Cursor): void {
  for (const e of entries(c, 'output must be a mapping of field names to field definitions') ??
    []) {
    const list = entries(e.value, `output '${e.key}' must be a mapping with a 'type'`)
    if (list === undefined) continue
    checkKeys(list, OUTPUT_KEYS, `output '${e.key}'`)
    checkOutputType(e, findEntry(list, 'type'))
    const description = findEntry(list, 'description')
    if (description) readString(description.value, 'description')
    const required = findEntry(list, 'required')
    if (required) readBool(required.value, 'required')
    const options = findEntry(list, 'options')
    if (options) readStringList(options.value, 'options', 'option')
  }
}
