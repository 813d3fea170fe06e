/**
 * Failed-login limiter: at most `maxFailures` failures per key (the client address) within a
 * sliding window of `windowMs`; once reached, attempts are refused until the oldest failure
 * leaves the window. In memory, per process; the key count is bounded (oldest keys go first).
 */

export interface LoginRateLimiter {
  /** Whether an attempt from `key` may proceed now; if not, how long to wait. */
  check(key: string): { allowed: true } | { allowed: false; retryAfterSecs: number }
  /** Records a failed attempt from `key`. */
  fail(key: string): void
  /** Keys currently tracked (for tests and metrics). */
  size(): number
}

export function createLoginRateLimiter(opts: {
  maxFailures: number
  windowMs: number
  now: () => number
  maxKeys?: number
}): LoginRateLimiter {
  const maxKeys = opts.maxKeys ?? 10_000
  /** key -> failure times, oldest first (at most maxFailures kept). */
  const failures = new Map<string, number[]>()

  function recent(key: string, now: number): number[] {
    const list = failures.get(key)
    if (!list) return []
    const cutoff = now - opts.windowMs
    let i = 0
    while (i < list.length && list[i]! <= cutoff) i++
    if (i === list.length) {
      failures.delete(key)
      return []
    }
    if (i > 0) list.splice(0, i)
    return list
  }

  function evict(now: number): void {
    for (const key of failures.keys()) {
      if (failures.size < maxKeys) return
      recent(key, now)
    }
    // Still full of live keys: drop the least recently inserted ones.
    for (const key of failures.keys()) {
      if (failures.size < maxKeys) return
      failures.delete(key)
    }
  }

  return {
    check(key) {
      const now = opts.now()
      const list = recent(key, now)
      if (list.length < opts.maxFailures) return { allowed: true }
      const oldest = list[list.length - opts.maxFailures]!
      const waitMs = oldest + opts.windowMs - now
      return { allowed: false, retryAfterSecs: Math.max(1, Math.ceil(waitMs / 1000)) }
    },
    fail(key) {
      const now = opts.now()
      const list = recent(key, now)
      if (list.length === 0) {
        if (failures.size >= maxKeys) evict(now)
        failures.set(key, [now])
        return
      }
      list.push(now)
      if (list.length > opts.maxFailures) list.splice(0, list.length - opts.maxFailures)
    },
    size: () => failures.size,
  }
}
