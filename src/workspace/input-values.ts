/**
 * Load-time fit of a declared `default` to its field type (§4.2), worded for `input-default`
 * warnings. Execute-time validation lives in the engine; this only has to explain a mismatch.
 */
import { isCalendarDate, isDateTime } from '../shared/calendar.ts'
import { assertNever } from '../shared/errors.ts'
import type { InputType } from './workspace.ts'

/** `a string`, `a number`, `a list`, ... for a plain JSON value. */
export function kindOfValue(v: unknown): string {
  if (v === null || v === undefined) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  return `a ${typeof v}`
}

/** A short rendering of a value for messages: `"2"`, `2.5`, `true`, `a list`. */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v)
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return kindOfValue(v)
}

/** Why `v` does not fit `type` (`a string`, `a fractional number`, ...), or null when it fits. */
export function misfit(type: InputType, v: unknown): string | null {
  switch (type) {
    case 'string':
    case 'text':
      return typeof v === 'string' ? null : kindOfValue(v)
    case 'integer':
      if (typeof v !== 'number') return kindOfValue(v)
      if (!Number.isInteger(v)) return 'a fractional number'
      return Number.isSafeInteger(v) ? null : 'an integer beyond ±(2^53−1)'
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? null : kindOfValue(v)
    case 'boolean':
      return typeof v === 'boolean' ? null : kindOfValue(v)
    case 'date':
      if (typeof v !== 'string') return kindOfValue(v)
      return isCalendarDate(v) ? null : 'not a real YYYY-MM-DD date'
    case 'datetime':
      if (typeof v !== 'string') return kindOfValue(v)
      return isDateTime(v) ? null : 'not an RFC 3339 date-time'
    default:
      return assertNever(type, 'input type')
  }
}
