/** What every scenario gets and returns. */
import type { Row } from './report.ts'

export interface BenchContext {
  readonly quick: boolean
  /** A progress line on stderr while a scenario runs. */
  progress(msg: string): void
}

export interface ScenarioResult {
  readonly rows: ReadonlyArray<Row>
  /** Written to bench-results/<scenario>-<db>.json beside the rows and the machine info. */
  readonly data: Record<string, unknown>
}

/**
 * Runs `fn(i)` one after another up to `count` times or until `maxMs` has passed (after at least
 * `minCount` runs), so a busy machine shortens a run instead of stretching it. Returns the count.
 */
export async function repeat(
  limits: { count: number; maxMs: number; minCount?: number },
  fn: (i: number) => Promise<void>,
): Promise<number> {
  const start = performance.now()
  let i = 0
  while (i < limits.count) {
    if (i >= (limits.minCount ?? 1) && performance.now() - start > limits.maxMs) break
    await fn(i)
    i++
  }
  return i
}

/**
 * Keeps `window` calls of `fn` in flight until `count` have been started or `maxMs` has passed;
 * resolves when all started calls have ended, with how many ran and how long that took.
 */
export async function closedLoop(
  limits: { count: number; maxMs: number; window: number },
  fn: (i: number) => Promise<void>,
): Promise<{ done: number; ms: number }> {
  const start = performance.now()
  let next = 0
  const lane = async () => {
    while (next < limits.count && performance.now() - start < limits.maxMs) await fn(next++)
  }
  await Promise.all(Array.from({ length: limits.window }, lane))
  return { done: next, ms: performance.now() - start }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** `p`'s value, or 'timeout' if it takes longer than `ms` (the timer is cleared either way). */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)))
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}
