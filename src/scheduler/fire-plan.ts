/**
 * Which slots of one cron trigger fire now (WORKSPACE-FORMAT.md §6.3). Pure: the persisted
 * `next_fire_at`, the trigger's cron and policy and `now` come in; no DB, no clock.
 */
import { createHash } from 'node:crypto'
import type { CatchUpPolicy } from '../workspace/workspace.ts'
import { planCatchUp } from './catch-up.ts'
import { fireTimesBetween, nextFireTimes } from './cron.ts'

export interface FirePlanInput {
  /** The persisted next slot; null when the cron never fires again. */
  readonly nextFireAt: Date | null
  readonly cron: string
  readonly timezone: string
  /** The trigger's own policy; null falls back to `defaults`. */
  readonly catchUp: CatchUpPolicy | null
  readonly maxCatchUp: number | null
  readonly defaults: { readonly catchUp: CatchUpPolicy; readonly maxCatchUp: number }
  readonly now: Date
}

export interface FirePlan {
  readonly policy: CatchUpPolicy
  /** Slots to fire now, oldest first. */
  readonly fire: ReadonlyArray<Date>
  /** Slots that will never fire, oldest first (the newest ones only when `skippedTruncated`). */
  readonly skipped: ReadonlyArray<Date>
  /** True when older skipped slots exist beyond those listed in `skipped`. */
  readonly skippedTruncated: boolean
  /** The first slot strictly after `now`, or null when the cron never fires again. */
  readonly nextFireAt: Date | null
}

/** How many skipped slots a plan lists; a long outage of a fast cron would otherwise list millions. */
export const MAX_LISTED_SKIPS = 50

/** The persisted slot is matched with this slack, so rounding never drops the slot itself. */
const EPSILON_MS = 1

/** Splits the slots due since `nextFireAt` into fire and skip per the catch-up policy. */
export function planFires(input: FirePlanInput): FirePlan {
  const policy = input.catchUp ?? input.defaults.catchUp
  const maxCatchUp = input.maxCatchUp ?? input.defaults.maxCatchUp
  const { nextFireAt, now } = input
  if (nextFireAt === null || nextFireAt.getTime() > now.getTime()) {
    return { policy, fire: [], skipped: [], skippedTruncated: false, nextFireAt }
  }
  const keep = policy === 'all' ? Math.max(0, Math.floor(maxCatchUp)) : policy === 'latest' ? 1 : 0
  // One more than we list tells whether older slots were left out.
  const limit = keep + MAX_LISTED_SKIPS + 1
  const after = new Date(nextFireAt.getTime() - EPSILON_MS)
  const found = fireTimesBetween(input.cron, input.timezone, after, now, limit)
  const skippedTruncated = found.length === limit
  const missed = skippedTruncated ? found.slice(1) : found
  const { fire, skipped } = planCatchUp({ policy, maxCatchUp, missed })
  const [next] = nextFireTimes(input.cron, input.timezone, now, 1)
  return { policy, fire, skipped, skippedTruncated, nextFireAt: next ?? null }
}

/** The fire key of one slot: unique per (workspace, trigger, nominal time) across replicas. */
export function fireKeyOf(workspace: string, trigger: string, slot: Date): string {
  return `${workspace}/${trigger}/${slot.toISOString()}`
}

/** The hash stored in trigger_state.spec_hash: a changed cron or timezone restarts the schedule. */
export function specHashOf(cron: string, timezone: string): string {
  return createHash('sha256')
    .update(JSON.stringify([cron, timezone]))
    .digest('hex')
    .slice(0, 32)
}
