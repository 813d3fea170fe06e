/**
 * The due slots of all triggers of one pass. The pure plan (fire-plan.ts) decides, per trigger,
 * which missed slots fire and which the catch-up policy skips; the slots then go out in rounds:
 * round k holds the k-th slot of every trigger, fired in batches of distinct triggers
 * (fire-batch.ts). A trigger whose slot was lost or failed drops out of the later rounds, since
 * its fence no longer matches.
 */
import type { TriggerState } from '../db/repositories/trigger-state.repository.ts'
import { fireBatch, type Slot } from './fire-batch.ts'
import { logCatchUp } from './fire-log.ts'
import { planFires } from './fire-plan.ts'
import { targetKey, type RunResult, type SchedulerContext, type Target } from './scheduler-deps.ts'

/** Most slots per fire transaction: bounds its size and how long it holds trigger rows. */
export const MAX_BATCH_SLOTS = 250

/** When this pass runs, and when this scheduler's previous pass ran (null: none, or long ago). */
export interface PassTimes {
  readonly now: Date
  readonly previousPassAt: Date | null
  /**
   * Triggers (by targetKey) whose slot failed in an earlier pass, with the previous-pass time
   * that pass planned with: the retry treats the slot as it was treated then (on time, or missed).
   */
  readonly retrying: ReadonlyMap<string, Date | null>
}

/** A due trigger: its persisted state and the serving definition it matches. */
export interface DueTrigger {
  readonly state: TriggerState
  readonly target: Target
}

/**
 * Fires the due slots of every trigger per its catch-up policy. `failed` maps each trigger whose
 * slot transaction failed (it stays due) to the previous-pass time it was planned with.
 */
export async function fireDue(
  ctx: SchedulerContext,
  due: ReadonlyArray<DueTrigger>,
  pass: PassTimes,
): Promise<RunResult & { readonly failed: Map<string, Date | null> }> {
  let skipped = 0
  const chains: Slot[][] = []
  for (const d of due) {
    const planned = slotsOf(ctx, d, pass)
    skipped += planned.skipped
    if (planned.slots.length > 0) chains.push(planned.slots)
  }
  let fired = 0
  const failed = new Map<string, Date | null>()
  let round = chains
  for (let k = 0; round.length > 0; k++) {
    const next: Slot[][] = []
    for (let i = 0; i < round.length; i += MAX_BATCH_SLOTS) {
      const batch = round.slice(i, i + MAX_BATCH_SLOTS)
      const outcomes = await fireBatch(
        ctx,
        batch.map((c) => c[k]!),
      )
      outcomes.forEach((o, j) => {
        if (o === 'fired') fired++
        if (o === 'skipped') skipped++
        const chain = batch[j]!
        if (o === 'failed') failed.set(chain[k]!.key, previousPassOf(chain[k]!.key, pass))
        if (o !== 'lost' && o !== 'failed' && chain.length > k + 1) next.push(chain)
      })
    }
    round = next
  }
  return { fired, skipped, failed }
}

/** The slots one trigger fires now, oldest first, each fenced on where the previous one left it. */
function slotsOf(
  ctx: SchedulerContext,
  { state, target }: DueTrigger,
  pass: PassTimes,
): { slots: Slot[]; skipped: number } {
  const { now } = pass
  const key = targetKey(state.workspace, state.triggerName)
  const expected = state.nextFireAt
  if (!expected) return { slots: [], skipped: 0 }
  const { trigger } = target
  const plan = planFires({
    nextFireAt: expected,
    cron: trigger.cron,
    timezone: trigger.timezone,
    catchUp: trigger.catchUp,
    maxCatchUp: trigger.maxCatchUp,
    defaults: ctx.d.defaults,
    now,
    previousPassAt: previousPassOf(key, pass),
  })
  if (plan.skipped.length > 0 || plan.fire.length > 1) {
    logCatchUp(ctx, { workspace: state.workspace, trigger: state.triggerName }, plan)
  }
  const skipped = plan.skipped.length
  if (plan.fire.length === 0) {
    return { slots: [{ key, target, at: null, expected, next: plan.nextFireAt }], skipped }
  }
  // Intermediate fires point next_fire_at at the next planned slot, so a crash mid-way resumes there.
  const slots = plan.fire.map((at, i) => ({
    key,
    target,
    at,
    expected: i === 0 ? expected : at,
    next: plan.fire[i + 1] ?? plan.nextFireAt,
  }))
  return { slots, skipped }
}

function previousPassOf(key: string, pass: PassTimes): Date | null {
  return pass.retrying.has(key) ? (pass.retrying.get(key) ?? null) : pass.previousPassAt
}
