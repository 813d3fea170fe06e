/** Step retry timing (WORKSPACE-FORMAT.md §5.5). Pure: randomness is injectable for tests. */
import type { RetryPolicy } from '../workspace/workspace.ts'

/** The values a `retry` block's missing keys take: 3 runs in total, 30 s apart, fixed, no jitter. */
export const DEFAULT_RETRY: RetryPolicy = Object.freeze({
  maxAttempts: 3,
  delaySecs: 30,
  backoff: 'fixed',
  jitter: false,
})

/** An exponential wait never exceeds this many times the base delay. */
const MAX_BACKOFF_FACTOR = 64
/** Jitter adds up to this fraction of the wait. */
const MAX_JITTER = 0.25

/** Delay in ms before the next attempt after `failedAttempt` (1-based) failed, or null when no attempt is left. */
export function nextRetryDelayMs(
  failedAttempt: number,
  policy: RetryPolicy | null,
  random: () => number = Math.random,
): number | null {
  // No policy: the step runs once.
  if (policy === null || failedAttempt >= policy.maxAttempts) return null
  const retry = Math.max(1, Math.floor(failedAttempt)) // k-th retry follows the k-th failure
  const baseMs = policy.delaySecs * 1000
  const factor =
    policy.backoff === 'exponential' ? Math.min(2 ** (retry - 1), MAX_BACKOFF_FACTOR) : 1
  const waitMs = baseMs * factor
  if (!policy.jitter) return Math.round(waitMs)
  const r = Math.min(Math.max(random(), 0), 1)
  return Math.round(waitMs * (1 + MAX_JITTER * r))
}
