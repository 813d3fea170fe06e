import { expectMap, expectNumber, type Args, type FilterSpec } from './registry.ts'
import { formatDate } from './tera-date.ts'
import { TemplateError } from './template-error.ts'
import { display, typeName } from './values.ts'

/** Tera's number filters, conversions and the remaining "other" filters (§8.5). */

function round(v: unknown, args: Args): number {
  const n = expectNumber(v, args.owner)
  const method = args.string('method', 'common')
  const factor = 10 ** args.integer('precision', 0)
  const scaled = n * factor
  switch (method) {
    case 'common':
      return (Math.sign(scaled) * Math.round(Math.abs(scaled))) / factor
    case 'ceil':
      return Math.ceil(scaled) / factor
    case 'floor':
      return Math.floor(scaled) / factor
    default:
      throw new TemplateError(
        `${args.owner}: method must be common, ceil or floor, got '${method}'`,
      )
  }
}

function pluralize(v: unknown, args: Args): string {
  const n = expectNumber(v, args.owner)
  return Math.abs(n) === 1 ? args.string('singular', '') : args.string('plural', 's')
}

function filesizeformat(v: unknown, args: Args): string {
  const n = expectNumber(v, args.owner)
  const binary = args.boolean('binary', false)
  const base = binary ? 1024 : 1000
  const units = binary ? ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'] : ['kB', 'MB', 'GB', 'TB', 'PB']
  if (Math.abs(n) < base) return `${n} B`
  let size = n / base
  let unit = 0
  while (Math.abs(size) >= base && unit < units.length - 1) {
    size /= base
    unit++
  }
  return `${Number(size.toFixed(2))} ${units[unit] ?? ''}`
}

const INT_PREFIX: Readonly<Record<number, string>> = { 2: '0b', 8: '0o', 16: '0x' }

function toInt(v: unknown, args: Args): number {
  const fallback = args.integer('default', 0)
  const base = args.integer('base', 10)
  if (typeof v === 'number') return Math.trunc(v)
  if (typeof v !== 'string') {
    throw new TemplateError(`${args.owner} expects a string or number, got ${typeName(v)}`)
  }
  let s = v.trim()
  const prefix = INT_PREFIX[base]
  if (prefix !== undefined && s.toLowerCase().startsWith(prefix)) s = s.slice(2)
  const digits = '0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, base)
  if (new RegExp(`^[+-]?[${digits}]+$`, 'i').test(s)) return parseInt(s, base)
  const f = Number(s)
  return base === 10 && s.includes('.') && Number.isFinite(f) ? Math.trunc(f) : fallback
}

function toFloat(v: unknown, args: Args): number {
  const fallback = args.number('default', 0)
  if (typeof v === 'number') return v
  if (typeof v !== 'string') {
    throw new TemplateError(`${args.owner} expects a string or number, got ${typeName(v)}`)
  }
  const s = v.trim()
  const f = Number(s)
  return s !== '' && !Number.isNaN(f) ? f : fallback
}

function get(v: unknown, args: Args): unknown {
  const map = expectMap(v, args.owner)
  const key = args.string('key')
  if (Object.hasOwn(map, key)) return map[key]
  if (args.has('default')) return args.get('default')
  throw new TemplateError(`${args.owner}: key '${key}' not found`)
}

function jsonEncode(v: unknown, args: Args): string {
  return JSON.stringify(v, null, args.boolean('pretty', false) ? 2 : undefined) ?? 'null'
}

function date(v: unknown, args: Args): string {
  const timezone = args.has('timezone') ? args.string('timezone') : null
  return formatDate(v, args.string('format', '%Y-%m-%d'), timezone)
}

export const OTHER_FILTERS: Readonly<Record<string, FilterSpec>> = {
  abs: { params: [], portable: true, apply: (v, a) => Math.abs(expectNumber(v, a.owner)) },
  round: {
    params: ['method', 'precision'],
    positional: ['precision', 'method'],
    portable: true,
    apply: round,
  },
  pluralize: { params: ['singular', 'plural'], portable: true, apply: pluralize },
  filesizeformat: { params: ['binary'], portable: true, apply: filesizeformat },
  int: { params: ['default', 'base'], portable: true, apply: toInt },
  float: { params: ['default'], portable: true, apply: toFloat },
  // Only reached for defined values: the evaluator substitutes `value` for undefined subjects.
  default: { params: ['value'], portable: true, apply: (v) => v },
  json_encode: { params: ['pretty'], portable: true, apply: jsonEncode },
  date: { params: ['format', 'timezone'], portable: true, apply: date },
  get: { params: ['key', 'default'], portable: true, apply: get },
  safe: { params: [], portable: true, apply: (v) => v },
  as_str: { params: [], portable: true, apply: (v) => display(v) },
}
