/**
 * Missed-run policy (WORKSPACE-FORMAT.md §6.3): which of the slots that fell due while no scheduler
 * ran should fire now. Pure; the scheduler logs both lists.
 */
import type { CatchUpPolicy } from '../workspace/workspace.ts'
import { assertNever } from '../shared/errors.ts'

export interface CatchUpInput {
  readonly policy: CatchUpPolicy
  readonly maxCatchUp: number
  /** Ascending slots that were due while no scheduler ran (nominal times <= now). */
  readonly missed: ReadonlyArray<Date>
}

export interface CatchUpPlan {
  /** Slots to fire now, oldest first. */
  readonly fire: ReadonlyArray<Date>
  /** Slots that will never fire, oldest first. */
  readonly skipped: ReadonlyArray<Date>
}

/**
 * Splits missed slots into those to fire and those to skip.
 * `all` keeps the newest `maxCatchUp` slots when capped: after a long outage the recent runs are
 * the ones whose results still matter, and the oldest are the most stale.
 */
export function planCatchUp(input: CatchUpInput): CatchUpPlan {
  // Sorted defensively: "newest" must mean the latest nominal time whatever order arrived.
  const missed = [...input.missed].sort((a, b) => a.getTime() - b.getTime())
  switch (input.policy) {
    case 'none':
      return { fire: [], skipped: missed }
    case 'latest':
      return splitNewest(missed, 1)
    case 'all':
      return splitNewest(missed, Math.max(0, Math.floor(input.maxCatchUp)))
    default:
      return assertNever(input.policy, 'catch-up policy')
  }
}

function splitNewest(missed: Date[], keep: number): CatchUpPlan {
  const cut = Math.max(0, missed.length - keep)
  return { fire: missed.slice(cut), skipped: missed.slice(0, cut) }
}
