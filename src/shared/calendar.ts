/** Calendar checks shared by load-time default checks and execute-time input validation. */

/** A `YYYY-MM-DD` string naming a real calendar date. */
export function isCalendarDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s)
  return m !== null && isRealDay(Number(m[1]), Number(m[2]), Number(m[3]))
}

function isRealDay(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false
  const d = new Date(Date.UTC(2000, month - 1, day))
  d.setUTCFullYear(year) // keeps years 0000-0099 literal, where Date.UTC would add 1900
  return d.getUTCMonth() === month - 1 && d.getUTCDate() === day
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:[Zz]|[+-](\d{2}):(\d{2}))?$/

/**
 * RFC 3339 date-time (`T`, `t` or a space between date and time; `Z`/`z` or ±HH:MM offset). The
 * offset may be left out, with or without seconds, as Strøm's UI sends it; it then reads as UTC.
 */
export function isDateTime(s: string): boolean {
  const m = DATE_TIME.exec(s)
  if (m === null) return false
  const [, y, mo, d, h, mi, sec = '0', oh = '0', om = '0'] = m
  if (!isRealDay(Number(y), Number(mo), Number(d))) return false
  // Second 60 is RFC 3339's leap second; the submitted string is kept as is.
  return (
    Number(h) <= 23 && Number(mi) <= 59 && Number(sec) <= 60 && Number(oh) <= 23 && Number(om) <= 59
  )
}
