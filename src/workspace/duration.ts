/**
 * Durations of WORKSPACE-FORMAT.md §7: a positive YAML integer (seconds), or a string of digits or of
 * `<number><unit>` groups with units h, m, s (`1h30m`). Results are whole seconds.
 */

/** Upper bounds per use, in seconds. */
export const DURATION_CAPS = {
  step: 24 * 3600,
  task: 7 * 24 * 3600,
  retryDelay: 3600,
} as const
export type DurationUse = keyof typeof DURATION_CAPS

const CAP_TEXT: Record<DurationUse, string> = {
  step: '24h step maximum',
  task: '7-day task maximum (168h)',
  retryDelay: '1h retry delay maximum',
}

const UNIT_SECONDS: Readonly<Record<string, number>> = { h: 3600, m: 60, s: 1 }
const DIGITS = /^[0-9]+$/
const GROUPS = /^(?:[0-9]+[hms])+$/
const GROUP = /([0-9]+)([hms])/g

export type DurationResult =
  | { readonly ok: true; readonly seconds: number }
  | { readonly ok: false; readonly reason: 'invalid' | 'zero' }

/** Parses a duration without applying any cap. */
export function parseDuration(value: string | number): DurationResult {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) return { ok: false, reason: 'invalid' }
    return value === 0 ? { ok: false, reason: 'zero' } : { ok: true, seconds: value }
  }
  let seconds: number
  if (DIGITS.test(value)) seconds = Number(value)
  else if (GROUPS.test(value)) {
    seconds = 0
    for (const [, amount, unit] of value.matchAll(GROUP)) {
      seconds += Number(amount) * (UNIT_SECONDS[unit ?? 's'] ?? 1)
    }
  } else return { ok: false, reason: 'invalid' }
  if (!Number.isSafeInteger(seconds)) return { ok: false, reason: 'invalid' }
  return seconds === 0 ? { ok: false, reason: 'zero' } : { ok: true, seconds }
}

function shown(value: string | number): string {
  return typeof value === 'number' ? String(value) : `'${value}'`
}

/**
 * Parses and caps a duration for one use; `label` names the field in the message
 * (`timeout '90000s' exceeds the 24h step maximum`).
 */
export function checkDuration(
  value: string | number,
  use: DurationUse,
  label: string,
):
  | { readonly ok: true; readonly seconds: number }
  | { readonly ok: false; readonly message: string } {
  const parsed = parseDuration(value)
  if (!parsed.ok) {
    const message =
      parsed.reason === 'zero'
        ? `${label} ${shown(value)} must be greater than zero`
        : `${label} ${shown(value)} is not a valid duration (use seconds or h/m/s groups such as 30s, 5m, 1h30m)`
    return { ok: false, message }
  }
  if (parsed.seconds > DURATION_CAPS[use]) {
    return { ok: false, message: `${label} ${shown(value)} exceeds the ${CAP_TEXT[use]}` }
  }
  return parsed
}
