/** Durations (§7) and retry policies (§5.5) as they appear on tasks, steps and actions. */
import { checkDuration } from './duration.ts'
import type { DurationUse } from './duration.ts'
import {
  checkKeys,
  entries,
  findEntry,
  kindOf,
  readBool,
  readChoice,
  readInteger,
  report,
  wrongType,
} from './schema-reader.ts'
import type { Cursor } from './schema-reader.ts'
import type { RetryPolicy } from './workspace.ts'

const RETRY_KEYS = ['max_attempts', 'delay', 'backoff', 'jitter'] as const
const BACKOFFS = ['fixed', 'exponential'] as const

export const RETRY_DEFAULTS: RetryPolicy = {
  maxAttempts: 3,
  delaySecs: 30,
  backoff: 'fixed',
  jitter: false,
}

/** A duration in seconds; null when absent, undefined when invalid (already reported). */
export function readDuration(
  c: Cursor,
  use: DurationUse,
  label: string,
): number | null | undefined {
  const kind = kindOf(c.node)
  if (kind === 'null') return null
  if (kind !== 'string' && kind !== 'number') {
    wrongType(c, `${label} must be a duration such as 30s, 5m or 1h30m`)
    return undefined
  }
  const value = (c.node as { value: string | number }).value
  const checked = checkDuration(value, use, label)
  if (checked.ok) return checked.seconds
  report(c, 'error', 'duration', checked.message)
  return undefined
}

/** A retry policy; missing fields take the §5.5 defaults (never the action's values). */
export function readRetry(c: Cursor): RetryPolicy | null {
  const list = entries(c, 'retry must be a mapping')
  if (list === undefined || kindOf(c.node) === 'null') return null
  checkKeys(list, RETRY_KEYS, 'retry')
  const policy: { -readonly [K in keyof RetryPolicy]: RetryPolicy[K] } = { ...RETRY_DEFAULTS }
  const attempts = findEntry(list, 'max_attempts')
  if (attempts) {
    const n = readInteger(attempts.value, 'max_attempts')
    if (n !== undefined && (n < 1 || n > 10)) {
      report(attempts.value, 'error', 'retry', `retry max_attempts ${n} is out of range 1..10`)
    } else if (n !== undefined) policy.maxAttempts = n
  }
  const delay = findEntry(list, 'delay')
  const secs = delay ? readDuration(delay.value, 'retryDelay', 'retry delay') : null
  if (typeof secs === 'number') policy.delaySecs = secs
  const backoff = findEntry(list, 'backoff')
  const mode = backoff ? readChoice(backoff.value, 'retry backoff', BACKOFFS, 'retry') : undefined
  if (mode) policy.backoff = mode
  const jitter = findEntry(list, 'jitter')
  const withJitter = jitter ? readBool(jitter.value, 'jitter') : undefined
  if (withJitter !== undefined) policy.jitter = withJitter
  return policy
}
