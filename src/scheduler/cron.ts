/**
 * Cron maths (WORKSPACE-FORMAT.md §6.2), the only module that imports cron-parser. Pure: every
 * function takes the instant it starts from, and nothing here reads the clock.
 *
 * cron-parser covers six fields, names, `?`, `L`, `#` and the DST rules; this wrapper adds the
 * year field and `W` (month by month, see `monthlyFires`), refuses `H`, and makes the set of fire
 * times independent of where a search starts, so the scheduler's chain of slots, catch-up and
 * `next_runs` always agree on the nominal slots that fire keys are built from.
 */
import { CronDate, CronExpression, CronExpressionParser } from 'cron-parser'
import type { CronFieldCollection } from 'cron-parser'
import { MIN_YEAR, fieldName, selectedDays, splitCron, stepMonth } from './cron-syntax.ts'
import type { CronSyntax, YearMonth } from './cron-syntax.ts'

export type CronCheck =
  | { readonly ok: true; readonly fields: 5 | 6 | 7 }
  | { readonly ok: false; readonly message: string }

interface Compiled {
  readonly syntax: CronSyntax
  /** Six fields for cron-parser; only used directly when `extended` is false. */
  readonly base: string
  /** Year field or W items present: fire times are found month by month. */
  readonly extended: boolean
  /** Every hour is scheduled: the expression is an interval, so repeated wall times fire twice. */
  readonly allHours: boolean
  readonly months: ReadonlySet<number>
  /** Concrete day-of-month values besides W items (null: the field is `*` or `?`). */
  readonly domValues: ReadonlyArray<number | 'L'> | null
}

const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS
/** Longer than any UTC offset change, so a lookback this long always spans a whole DST shift. */
const DST_LOOKBACK_MS = 3 * HOUR_MS
/** Months scanned without a fire before a month-by-month search gives up (> one 28-year cycle). */
const MAX_IDLE_MONTHS = 400
/** Reference start for the "does it ever fire" probe; 2000 is a leap year. */
const PROBE_START = Date.UTC(2000, 0, 1)

/** Checks an expression's syntax and that it fires at least once; never throws. */
export function checkCron(expr: string): CronCheck {
  const compiled = compile(expr)
  if (typeof compiled === 'string') return { ok: false, message: invalid(expr, compiled) }
  const probe = compiled.syntax.years === null ? PROBE_START : yearStart(compiled.syntax.years[0])
  if (takeUntil(fires(compiled, 'UTC', new Date(probe)), Infinity, 1).length === 0) {
    return { ok: false, message: invalid(expr, 'it never fires (no date matches every field)') }
  }
  return { ok: true, fields: compiled.syntax.fieldCount }
}

/** True for an IANA zone name that both Intl and cron-parser accept; offsets like '+01:00' are not names. */
export function isValidTimezone(tz: string): boolean {
  if (tz.trim() !== tz || tz === '' || /^[+-]/.test(tz)) return false
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz })
    new CronDate(0, tz)
    return true
  } catch {
    return false
  }
}

/** The next `n` fire times strictly after `after`, computed in `tz`. Throws on an invalid expression or zone. */
export function nextFireTimes(expr: string, tz: string, after: Date, n: number): Date[] {
  const compiled = compileOrThrow(expr, tz)
  return takeUntil(fires(compiled, tz, after), Infinity, n)
}

/**
 * Fire times in (afterExclusive, untilInclusive], ascending. When more than `limit` fall in the
 * window this returns the newest `limit` of them: catch-up wants the latest missed slots, and the
 * older ones are skipped anyway. Throws on an invalid expression or zone.
 */
export function fireTimesBetween(
  expr: string,
  tz: string,
  afterExclusive: Date,
  untilInclusive: Date,
  limit: number,
): Date[] {
  const compiled = compileOrThrow(expr, tz)
  const after = afterExclusive.getTime()
  const until = untilInclusive.getTime()
  if (limit <= 0 || until <= after) return []
  // The usual case, a scheduler pass a moment after one or a few slots: walk forward from `after`.
  const near = takeUntil(fires(compiled, tz, afterExclusive), until, limit + 1)
  if (near.length <= limit) return near
  // Count back from `until` to find where to start, then walk forward: only the forward walk
  // honours the DST rules, so it decides which slots exist.
  for (let k = limit; ; k *= 2) {
    const hint = kthFireBack(compiled, tz, { after, until, k })
    const from = hint === null ? after : Math.max(after, hint - 1)
    const found: Date[] = []
    for (const t of fires(compiled, tz, new Date(from))) {
      if (t.getTime() > until) break
      found.push(t)
      if (found.length > limit) found.shift()
    }
    if (found.length >= limit || hint === null) return found
  }
}

function invalid(expr: string, reason: string): string {
  return `invalid cron expression '${expr}': ${reason}`
}

/**
 * Compiled (expression, zone) pairs and parsed field sets: parsing, and checking zones through
 * Intl, dominated scheduler passes with many triggers. The results are pure; the maps are bounded.
 */
const COMPILED = new Map<string, Compiled>()
const PARSED = new Map<string, CronFieldCollection>()

function remember<T>(memo: Map<string, T>, key: string, make: () => T): T {
  const known = memo.get(key)
  if (known !== undefined) return known
  const made = make()
  if (memo.size >= 1000) memo.clear()
  memo.set(key, made)
  return made
}

function compileOrThrow(expr: string, tz: string): Compiled {
  return remember(COMPILED, JSON.stringify([expr, tz]), () => {
    const compiled = compile(expr)
    if (typeof compiled === 'string') throw new Error(invalid(expr, compiled))
    if (!isValidTimezone(tz)) throw new Error(`invalid timezone '${tz}': expected an IANA name`)
    return compiled
  })
}

/** Parses and validates once; returns the reason as a string when the expression is invalid. */
function compile(expr: string): Compiled | string {
  const split = splitCron(expr)
  if (!split.ok) return split.reason
  const { syntax } = split
  const [second, minute, hour, dom, month, dow] = syntax.fields
  // W items validate as plain days here, so `30W` in February is refused like `30`.
  const plainW = syntax.nearestWeekdays.map(String)
  const checkDom = [dom, ...plainW].filter((s) => s !== '').join(',')
  const base = [second, minute, hour, checkDom, month, dow].join(' ')
  const parsed = parseFields(base)
  if (typeof parsed === 'string') return parsed
  const extended = syntax.years !== null || syntax.nearestWeekdays.length > 0
  const keepDom = !extended || (syntax.nearestWeekdays.length === 0 && isWildcard(dom))
  return {
    syntax,
    base,
    extended,
    allHours: parsed.hour.values.length === 24,
    months: new Set(parsed.month.values),
    domValues: keepDom ? null : concreteDays(dom),
  }
}

function parseFields(base: string): CronFieldCollection | string {
  try {
    return CronExpressionParser.parse(base, { currentDate: PROBE_START }).fields
  } catch (e) {
    return locateError(base.split(' '), e)
  }
}

/** Names the field that fails on its own, or the day/month pair that can never meet. */
function locateError(fields: ReadonlyArray<string>, e: unknown): string {
  if (/day of month definition/i.test(messageOf(e))) {
    return `day-of-month field '${fields[3]}' names no day that month field '${fields[4]}' has`
  }
  for (let i = 0; i < fields.length; i++) {
    const alone = fields.map((f, j) => (j === i ? f : '*')).join(' ')
    try {
      CronExpressionParser.parse(alone, { currentDate: PROBE_START })
    } catch (inner) {
      return `${fieldName(i)} field '${fields[i]}': ${messageOf(inner)}`
    }
  }
  return messageOf(e)
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

function isWildcard(field: string): boolean {
  return field === '*' || field === '?'
}

function concreteDays(dom: string): ReadonlyArray<number | 'L'> {
  if (dom === '') return []
  return CronExpressionParser.parse(`0 0 0 ${dom} * *`).fields.dayOfMonth.values
}

function yearStart(year: number | undefined): number {
  return Date.UTC(year ?? MIN_YEAR, 0, 1) - 2 * DAY_MS
}

/** Up to `n` times from `source`, stopping at the first one after `until`. */
function takeUntil(source: Iterable<Date>, until: number, n: number): Date[] {
  const out: Date[] = []
  for (const t of source) {
    if (t.getTime() > until || out.length >= n) break
    out.push(t)
  }
  return out
}

/**
 * Fire times strictly after `after`, independent of where the search starts. cron-parser's answer
 * near a DST change depends on its starting point, so when `after` is within a few hours after a
 * change the search starts before it. With restricted hours a wall time the fall-back repeats
 * fires on its first pass only; a skipped wall time fires shifted by the gap (02:30 -> 03:30).
 */
function* fires(c: Compiled, tz: string, after: Date): Generator<Date> {
  const at = after.getTime()
  const nearChange = !c.allHours && offsetAt(at - DST_LOOKBACK_MS, tz) !== offsetAt(at, tz)
  const from = nearChange ? at - DST_LOOKBACK_MS : at
  for (const d of rawFires(c, tz, { from, reverse: false })) {
    const t = d.getTime()
    if (t <= at || (!c.allHours && isRepeatedWallTime(t, tz))) continue
    yield new Date(t)
  }
}

/** The k-th raw fire at or before `until` and after `after`, counting back; null when fewer exist. */
function kthFireBack(
  c: Compiled,
  tz: string,
  w: { after: number; until: number; k: number },
): number | null {
  let count = 0
  // prev() is strictly before its start, so start one second past `until` (fires are whole seconds).
  const from = Math.floor(w.until / 1000) * 1000 + 1000
  for (const d of rawFires(c, tz, { from, reverse: true })) {
    if (d.getTime() <= w.after) return null
    if (++count === w.k) return d.getTime()
  }
  return null
}

interface Walk {
  readonly from: number
  readonly reverse: boolean
  /** An end (or a start when reversed) that stops the search early. */
  readonly bound?: number
}

function rawFires(c: Compiled, tz: string, walk: Walk): Iterable<CronDate> {
  return c.extended ? monthlyFires(c, tz, walk) : iterate(c.base, tz, walk)
}

function parseFieldsOnce(expr: string): CronFieldCollection {
  return CronExpressionParser.parse(expr, { currentDate: PROBE_START }).fields
}

function* iterate(expr: string, tz: string, walk: Walk): Generator<CronDate> {
  const { from, reverse, bound } = walk
  const range = bound === undefined ? {} : reverse ? { startDate: bound } : { endDate: bound }
  const fields = remember(PARSED, expr, () => parseFieldsOnce(expr))
  const it = new CronExpression(fields, { currentDate: from, tz, ...range, expression: expr })
  for (;;) {
    let d: CronDate
    try {
      d = reverse ? it.prev() : it.next()
    } catch {
      return // past `bound`, or cron-parser's loop limit: nothing more within reach
    }
    yield d
  }
}

/**
 * Year and W support: one cron-parser search per local month, with the month pinned and the W
 * items resolved to concrete days of that month. A search starts a day outside the month (no
 * offset exceeds a day) and stops at the first result in another month.
 */
function* monthlyFires(c: Compiled, tz: string, walk: Walk): Generator<CronDate> {
  const { from, reverse } = walk
  const start = new CronDate(from, tz)
  let ym: YearMonth | null = { y: start.getFullYear(), m: start.getMonth() + 1 }
  for (let idle = 0; ym !== null && idle < MAX_IDLE_MONTHS; idle++) {
    const expr = monthExpression(c, ym)
    if (expr !== null) {
      const before = Date.UTC(ym.y, ym.m - 1, 1) - DAY_MS
      const beyond = Date.UTC(ym.y, ym.m, 1) + DAY_MS
      const edge = reverse ? Math.min(from, beyond) : Math.max(from, before)
      const bound = reverse ? before : beyond
      for (const d of iterate(expr, tz, { from: edge, reverse, bound })) {
        if (d.getFullYear() !== ym.y || d.getMonth() + 1 !== ym.m) break
        idle = 0
        yield d
      }
    }
    ym = stepMonth(ym, c.syntax.years, reverse)
  }
}

function monthExpression(c: Compiled, ym: YearMonth): string | null {
  if (!c.months.has(ym.m)) return null
  if (c.syntax.years !== null && !c.syntax.years.includes(ym.y)) return null
  const [second, minute, hour, dom, , dow] = c.syntax.fields
  const day = c.domValues === null ? dom : concreteDom(c, ym, isWildcard(dow))
  return day === null ? null : [second, minute, hour, day, ym.m, dow].join(' ')
}

/** The day-of-month list for one month; with no day left, only a restricted weekday can match. */
function concreteDom(c: Compiled, ym: YearMonth, dowIsWildcard: boolean): string | null {
  const days = selectedDays(c.domValues ?? [], c.syntax.nearestWeekdays, ym)
  if (days.length > 0) return days.join(',')
  // Day-of-month and day-of-week combine with OR, so an empty day list leaves the weekday alone.
  return dowIsWildcard ? null : '*'
}

function offsetAt(ms: number, tz: string): number {
  return new CronDate(ms, tz).getUTCOffset()
}

/**
 * True when `ms` is the second pass of a wall time that a fall-back transition repeats: the
 * instant one shift earlier shows the same wall time, i.e. it still had the old offset.
 */
function isRepeatedWallTime(ms: number, tz: string): boolean {
  const oldOffset = offsetAt(ms - DST_LOOKBACK_MS, tz)
  const shiftMinutes = oldOffset - offsetAt(ms, tz)
  return shiftMinutes > 0 && offsetAt(ms - shiftMinutes * 60_000, tz) === oldOffset
}
