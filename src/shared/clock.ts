/** The one home of wall-clock reads: everything that needs "now" takes a Clock. */
export interface Clock {
  now(): Date
  nowMs(): number
}

export const systemClock: Clock = {
  now: () => new Date(),
  nowMs: () => Date.now(),
}

/** A monotonic millisecond reading, for measuring durations (not affected by clock changes). */
export function monotonicMs(): number {
  return performance.now()
}
