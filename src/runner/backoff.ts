/**
 * Reconnect pacing for `weir worker`: exponential delays, capped, with jitter so that many
 * workers cut off by one server restart do not all come back in the same instant.
 */

export interface BackoffPolicy {
  /** Delay before the first retry. */
  readonly baseMs: number
  /** No delay is longer than this. */
  readonly capMs: number
}

export const RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 250, capMs: 5000 }

/**
 * Delay before retry number `attempt` (0 = the first retry): base × 2^attempt, capped, then
 * scaled by a random factor in [0.5, 1) ("equal jitter": never zero, never above the cap).
 */
export function backoffDelayMs(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const exp = policy.baseMs * 2 ** Math.min(Math.max(attempt, 0), 30)
  const capped = Math.min(policy.capMs, exp)
  return Math.round(capped * (0.5 + 0.5 * Math.min(Math.max(random(), 0), 0.999999)))
}

/** Waits `ms`, or less if `signal` aborts first; never rejects. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}
