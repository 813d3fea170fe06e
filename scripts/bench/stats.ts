/** Percentiles, rates and formatting for benchmark samples (milliseconds). Pure. */
export interface Summary {
  readonly n: number
  readonly p50: number
  readonly p95: number
  readonly p99: number
  readonly max: number
  readonly mean: number
}

export function summarize(samples: ReadonlyArray<number>): Summary {
  const s = [...samples].sort((a, b) => a - b)
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)
  return {
    n: s.length,
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    max: s[s.length - 1] ?? NaN,
    mean,
  }
}

export function fmt(ms: number): string {
  return Number.isFinite(ms) ? `${ms.toFixed(ms < 10 ? 2 : 1)} ms` : '-'
}

/** Items per second, `count` items over `ms` milliseconds. */
export function perSecond(count: number, ms: number): number {
  return ms > 0 ? (count * 1000) / ms : NaN
}

export function fmtNumber(v: number, digits = 0): string {
  if (!Number.isFinite(v)) return '-'
  return v >= 100 ? v.toFixed(0) : v.toFixed(digits)
}

/** One load level of the open-loop search (B5). */
export interface RateStep {
  readonly rate: number
  readonly offered: number
  readonly completed: number
  readonly p99: number
}

/**
 * The highest rate of the ladder, tried from the lowest, at which every offered execution
 * completed and p99 stayed within `limitMs`; null if even the first failed. Steps after the
 * first failure do not count (a lucky high rate after a failure is noise, not capacity).
 */
export function sustainedRate(steps: ReadonlyArray<RateStep>, limitMs: number): number | null {
  let best: number | null = null
  for (const s of [...steps].sort((a, b) => a.rate - b.rate)) {
    if (!stepHeld(s, limitMs)) break
    best = s.rate
  }
  return best
}

export function stepHeld(s: RateStep, limitMs: number): boolean {
  return s.completed === s.offered && s.p99 <= limitMs
}
