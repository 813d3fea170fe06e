/**
 * Pure cron syntax that cron-parser does not understand (WORKSPACE-FORMAT.md §6.2): nicknames we
 * map ourselves, the optional seventh (year) field, `W` (nearest weekday) items in the
 * day-of-month field and the hashed `H` form we refuse. No time zones and no cron-parser here:
 * `cron.ts` turns the result into concrete fire times.
 */

/** Years a seventh field may name; the same window as the Quartz-style libraries that accept it. */
export const MIN_YEAR = 1970
export const MAX_YEAR = 2099

const NICKNAMES: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
}

const FIELD_NAMES = ['second', 'minute', 'hour', 'day-of-month', 'month', 'day-of-week'] as const

/** A `W` item: the weekday nearest to a day of the month, or to its last day (`LW`). */
export type NearestWeekday = number | 'L'

/** An expression normalised to six cron-parser fields plus what only the wrapper handles. */
export interface CronSyntax {
  readonly fieldCount: 5 | 6 | 7
  /** second, minute, hour, day-of-month without its W items ('' when it had only W items), month, day-of-week. */
  readonly fields: readonly [string, string, string, string, string, string]
  /** Allowed years, ascending; null when every year is allowed. */
  readonly years: ReadonlyArray<number> | null
  readonly nearestWeekdays: ReadonlyArray<NearestWeekday>
}

export type SyntaxResult =
  | { readonly ok: true; readonly syntax: CronSyntax }
  | { readonly ok: false; readonly reason: string }

/** Names a cron-parser field by its position in the six-field form, for error messages. */
export function fieldName(index: number): string {
  return FIELD_NAMES[index] ?? `field ${index + 1}`
}

/** Splits an expression into six fields, the year set and the W items, or says why it cannot. */
export function splitCron(expr: string): SyntaxResult {
  const text = expr.trim()
  if (text.startsWith('@')) {
    const expanded = NICKNAMES[text.toLowerCase()]
    if (expanded === undefined) {
      return fail(
        `unknown nickname '${text}' (expected one of ${Object.keys(NICKNAMES).join(', ')})`,
      )
    }
    return splitFields(expanded.split(' '), 5)
  }
  const parts = text === '' ? [] : text.split(/\s+/)
  if (parts.length !== 5 && parts.length !== 6 && parts.length !== 7) {
    return fail(`expected 5, 6 or 7 fields, got ${parts.length}`)
  }
  return splitFields(parts, parts.length)
}

function splitFields(parts: ReadonlyArray<string>, count: 5 | 6 | 7): SyntaxResult {
  const six = count === 5 ? ['0', ...parts] : parts.slice(0, 6)
  const hashed = six.findIndex((f) => /(?<![A-Za-z])H(?![A-Za-z])/.test(f))
  if (hashed >= 0) {
    return fail(`${fieldName(hashed)} field '${six[hashed]}': hashed values (H) are not supported`)
  }
  const years = count === 7 ? parseYears(parts[6] ?? '') : null
  if (typeof years === 'string') return fail(years)
  const dom = splitDayOfMonth(six[3] ?? '')
  if (typeof dom === 'string') return fail(dom)
  const [second = '', minute = '', hour = '', , month = '', dayOfWeek = ''] = six
  const fields = [second, minute, hour, dom.rest, month, dayOfWeek] as const
  return { ok: true, syntax: { fieldCount: count, fields, years, nearestWeekdays: dom.weekdays } }
}

function fail(reason: string): SyntaxResult {
  return { ok: false, reason }
}

/** Parses the year field: `*`, `?`, years, ranges and steps, each within MIN_YEAR..MAX_YEAR. */
function parseYears(field: string): number[] | null | string {
  if (field === '*' || field === '?') return null
  const years = new Set<number>()
  for (const item of field.split(',')) {
    const m = /^(\*|\?|\d+|\d+-\d+)(?:\/(\d+))?$/.exec(item)
    if (m === null) return `year field: invalid item '${item}'`
    const [lo, hi] = yearBounds(m[1] ?? '', m[2] !== undefined)
    const step = m[2] === undefined ? 1 : Number(m[2])
    if (lo < MIN_YEAR || hi > MAX_YEAR) {
      return `year field: '${item}' is outside ${MIN_YEAR}-${MAX_YEAR}`
    }
    if (lo > hi) return `year field: range '${item}' ends before it starts`
    if (step < 1) return `year field: step in '${item}' must be at least 1`
    for (let y = lo; y <= hi; y += step) years.add(y)
  }
  return [...years].sort((a, b) => a - b)
}

function yearBounds(range: string, stepped: boolean): [number, number] {
  if (range === '*' || range === '?') return [MIN_YEAR, MAX_YEAR]
  const [a = '', b] = range.split('-')
  const lo = Number(a)
  // `2030/5` reads as "from 2030 on, every 5 years", as in the other fields.
  return [lo, b === undefined ? (stepped ? MAX_YEAR : lo) : Number(b)]
}

/** Separates `15W` / `LW` items from the rest of the day-of-month list. */
function splitDayOfMonth(field: string): { rest: string; weekdays: NearestWeekday[] } | string {
  const rest: string[] = []
  const weekdays: NearestWeekday[] = []
  for (const item of field.split(',')) {
    if (item === '') return `day-of-month field '${field}': empty list item`
    if (!item.includes('W')) {
      rest.push(item)
      continue
    }
    const m = /^(\d{1,2}|L)W$/.exec(item)
    const day = m?.[1] === 'L' ? 'L' : Number(m?.[1])
    if (m === null || (day !== 'L' && (day < 1 || day > 31))) {
      return `day-of-month field: '${item}' is not a nearest-weekday item (1W to 31W, or LW)`
    }
    weekdays.push(day)
  }
  return { rest: rest.join(','), weekdays }
}

/** Days in `month` (1-12) of `year`, Gregorian. */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate()
}

/**
 * Resolves W items for one month. The nearest weekday never leaves the month: `1W` on a Saturday
 * is Monday the 3rd, `31W` on a Sunday is Friday the 29th. A day the month lacks yields nothing.
 */
export function resolveNearestWeekdays(
  items: ReadonlyArray<NearestWeekday>,
  year: number,
  month: number,
): number[] {
  const last = daysInMonth(year, month)
  const days: number[] = []
  for (const item of items) {
    const day = item === 'L' ? last : item
    if (day > last) continue
    const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay()
    if (weekday === 6) days.push(day === 1 ? 3 : day - 1)
    else if (weekday === 0) days.push(day === last ? day - 2 : day + 1)
    else days.push(day)
  }
  return days
}

/** A local calendar month; `m` is 1-12. */
export interface YearMonth {
  readonly y: number
  readonly m: number
}

/** The month after (or before) `ym`, skipping years the year field excludes; null past the last. */
export function stepMonth(
  ym: YearMonth,
  years: ReadonlyArray<number> | null,
  reverse: boolean,
): YearMonth | null {
  const m = ym.m + (reverse ? -1 : 1)
  const next = m < 1 ? { y: ym.y - 1, m: 12 } : m > 12 ? { y: ym.y + 1, m: 1 } : { y: ym.y, m }
  if (years === null || years.includes(next.y)) return next
  const y = reverse ? years.findLast((v) => v < next.y) : years.find((v) => v > next.y)
  return y === undefined ? null : { y, m: reverse ? 12 : 1 }
}

/** The days of one month that day-of-month values (numbers, `L`) and W items select, ascending. */
export function selectedDays(
  values: ReadonlyArray<number | 'L'>,
  weekdays: ReadonlyArray<NearestWeekday>,
  ym: YearMonth,
): number[] {
  const last = daysInMonth(ym.y, ym.m)
  const days = new Set(resolveNearestWeekdays(weekdays, ym.y, ym.m))
  for (const v of values) {
    if (v === 'L') days.add(last)
    else if (v <= last) days.add(v)
  }
  return [...days].sort((a, b) => a - b)
}
