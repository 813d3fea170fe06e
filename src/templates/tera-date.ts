import { TemplateError } from './template-error.ts'
import { typeName } from './values.ts'

/**
 * Tera's `date` filter: strftime-style formats (chrono's subset that workflows use) applied to a
 * unix timestamp in seconds or an RFC 3339 / ISO date string, optionally shifted into an IANA zone.
 */

interface Instant {
  readonly ms: number // epoch milliseconds (whole seconds * 1000 + millis)
  readonly nanos: number // fraction of the second in nanoseconds
  readonly offsetMin: number
  readonly zone: string // what %Z prints
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
]

function fail(reason: string): never {
  throw new TemplateError(`filter 'date': ${reason}`)
}

function formatOffset(min: number, colon: boolean): string {
  const sign = min < 0 ? '-' : '+'
  const abs = Math.abs(min)
  const hh = String(Math.floor(abs / 60)).padStart(2, '0')
  const mm = String(abs % 60).padStart(2, '0')
  return `${sign}${hh}${colon ? ':' : ''}${mm}`
}

function parseOffset(s: string | undefined): number | null {
  if (s === undefined) return null
  if (s.toUpperCase() === 'Z') return 0
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(s)
  if (m === null) return null
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]))
}

function parseInstant(value: unknown): Instant {
  if (typeof value === 'number' && Number.isFinite(value)) {
    const ms = Math.floor(value * 1000)
    return { ms, nanos: (((ms % 1000) + 1000) % 1000) * 1e6, offsetMin: 0, zone: 'UTC' }
  }
  if (typeof value !== 'string')
    fail(`expects a timestamp or a date string, got ${typeName(value)}`)
  const m = ISO.exec(value.trim())
  if (m === null) fail(`cannot read '${value}' as a date (use RFC 3339, e.g. 2024-05-01T12:00:00Z)`)
  const [y, mo, d, h = '0', mi = '0', s = '0'] = m.slice(1, 7).map((x) => x ?? '0')
  const fraction = (m[7] ?? '').padEnd(9, '0')
  const offset = parseOffset(m[8])
  const local = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s))
  if (Number.isNaN(local)) fail(`cannot read '${value}' as a date`)
  const nanos = Number(fraction)
  const ms = local - (offset ?? 0) * 60_000 + Math.floor(nanos / 1e6)
  const zone = offset === null ? 'UTC' : formatOffset(offset, true)
  return { ms, nanos, offsetMin: offset ?? 0, zone }
}

function inZone(instant: Instant, timeZone: string): Instant {
  let fmt: Intl.DateTimeFormat
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      ...{ year: 'numeric', month: 'numeric', day: 'numeric' },
      ...{ hour: 'numeric', minute: 'numeric', second: 'numeric', timeZoneName: 'short' },
    })
  } catch {
    fail(`unknown time zone '${timeZone}' (use an IANA name such as 'Europe/Copenhagen')`)
  }
  const parts = new Map<string, string>(
    fmt.formatToParts(new Date(instant.ms)).map((p) => [p.type, p.value]),
  )
  const n = (t: string): number => Number(parts.get(t) ?? 0)
  const wall = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'))
  const offsetMin = Math.round((wall - Math.floor(instant.ms / 1000) * 1000) / 60_000)
  return { ...instant, offsetMin, zone: parts.get('timeZoneName') ?? timeZone }
}

function pad(n: number, width: number, flag: string): string {
  if (flag === '-') return String(n)
  return String(n).padStart(width, flag === '_' ? ' ' : '0')
}

function fractionDigits(nanos: number, digits: number): string {
  return String(nanos).padStart(9, '0').slice(0, digits)
}

function hour12(t: Date): number {
  return t.getUTCHours() % 12 === 0 ? 12 : t.getUTCHours() % 12
}

function dayOfYear(t: Date): number {
  return Math.floor((t.getTime() - Date.UTC(t.getUTCFullYear(), 0, 1)) / 86_400_000) + 1
}

type FieldFn = (t: Date, flag: string, instant: Instant) => string

const FIELDS: Readonly<Record<string, FieldFn>> = {
  Y: (t) => String(t.getUTCFullYear()),
  y: (t, f) => pad(t.getUTCFullYear() % 100, 2, f),
  m: (t, f) => pad(t.getUTCMonth() + 1, 2, f),
  d: (t, f) => pad(t.getUTCDate(), 2, f),
  e: (t, f) => pad(t.getUTCDate(), 2, f || '_'),
  H: (t, f) => pad(t.getUTCHours(), 2, f),
  k: (t, f) => pad(t.getUTCHours(), 2, f || '_'),
  I: (t, f) => pad(hour12(t), 2, f),
  l: (t, f) => pad(hour12(t), 2, f || '_'),
  M: (t, f) => pad(t.getUTCMinutes(), 2, f),
  S: (t, f) => pad(t.getUTCSeconds(), 2, f),
  p: (t) => (t.getUTCHours() < 12 ? 'AM' : 'PM'),
  P: (t) => (t.getUTCHours() < 12 ? 'am' : 'pm'),
  b: (t) => (MONTHS[t.getUTCMonth()] ?? '').slice(0, 3),
  h: (t) => (MONTHS[t.getUTCMonth()] ?? '').slice(0, 3),
  B: (t) => MONTHS[t.getUTCMonth()] ?? '',
  a: (t) => (DAYS[t.getUTCDay()] ?? '').slice(0, 3),
  A: (t) => DAYS[t.getUTCDay()] ?? '',
  j: (t, f) => pad(dayOfYear(t), 3, f),
  u: (t) => String(t.getUTCDay() === 0 ? 7 : t.getUTCDay()),
  w: (t) => String(t.getUTCDay()),
  f: (_t, _f, i) => fractionDigits(i.nanos, 9),
  z: (_t, _f, i) => formatOffset(i.offsetMin, false),
  Z: (_t, _f, i) => i.zone,
  s: (_t, _f, i) => String(Math.floor(i.ms / 1000)),
  n: () => '\n',
  t: () => '\t',
  '%': () => '%',
}

function field(spec: string, flag: string, t: Date, instant: Instant): string {
  const fn = FIELDS[spec]
  if (fn === undefined) fail(`unsupported format '%${flag}${spec}'`)
  return fn(t, flag, instant)
}

const COMPOSITE: Readonly<Record<string, string>> = {
  F: '%Y-%m-%d',
  T: '%H:%M:%S',
  D: '%m/%d/%y',
  R: '%H:%M',
}

const SPEC = /%([-_0]?)(\.?[369]?f|:z|[A-Za-z%])/g

function render(format: string, t: Date, instant: Instant): string {
  return format.replace(SPEC, (_all, flag: string, spec: string) => {
    const composite = COMPOSITE[spec]
    if (composite !== undefined) return render(composite, t, instant)
    if (spec === ':z') return formatOffset(instant.offsetMin, true)
    if (spec.endsWith('f') && spec !== 'f') {
      const digits = Number(spec.replace(/\D/g, '') || '9')
      return (spec.startsWith('.') ? '.' : '') + fractionDigits(instant.nanos, digits)
    }
    return field(spec, flag, t, instant)
  })
}

/** Formats `value` like Tera's `date(format, timezone)`. */
export function formatDate(value: unknown, format: string, timezone: string | null): string {
  const parsed = parseInstant(value)
  const instant = timezone === null ? parsed : inZone(parsed, timezone)
  const wall = new Date(Math.floor(instant.ms / 1000) * 1000 + instant.offsetMin * 60_000)
  return render(format, wall, instant)
}

/** RFC 3339 text of `d` at the given UTC offset, as Tera's `now()` returns it. */
export function rfc3339(d: Date, offsetMin: number): string {
  const wall = new Date(d.getTime() + offsetMin * 60_000).toISOString().slice(0, 23)
  return `${wall}${formatOffset(offsetMin, true)}`
}
