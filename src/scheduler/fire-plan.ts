/**
 * Which slots of one cron trigger fire now (WORKSPACE-FORMAT.md §6.3). Pure: the persisted
 * `next_fire_at`, the trigger's cron and policy and `now` come in; no DB, no clock.
 */
import { createHash } from 'node:crypto'
import { formatInputIssues, validateInput } from '../workspace/input-schema.ts'
import { assertNever } from '../shared/errors.ts'
import type {
  CatchUpPolicy,
  ConcurrencyPolicy,
  TaskDef,
  TriggerDef,
  Workspace,
} from '../workspace/workspace.ts'
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
  /** How late the newest slot may be and still count as on time (default ON_TIME_GRACE_MS). */
  readonly graceMs?: number
  /**
   * The `now` of this scheduler's previous completed pass, if any. Slots that fell due after it
   * came due while the scheduler was running (a slow pass, not downtime), so they fire whatever
   * the policy; the catch-up policy applies to slots missed before it (§6.3: "after downtime or a
   * leader change"). Ignored when older than LIVE_GAP_MS.
   */
  readonly previousPassAt?: Date | null
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

/**
 * A slot at most this late is on time, not missed: the loop always wakes a little after the slot,
 * so without it `catch_up: none` would skip every slot. Only the newest due slot can be on time.
 */
export const ON_TIME_GRACE_MS = 10_000

/**
 * A previous pass at most this long ago means the scheduler ran all along (its loop sleeps at most
 * 30 s); a longer gap means it was stalled, which counts as downtime.
 */
export const LIVE_GAP_MS = 60_000

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
  const live = liveSince(input)
  // Slots in (live, now] came due while this scheduler ran; at most LIVE_GAP_MS of them.
  const liveFrom = live === null ? null : new Date(Math.max(after.getTime(), live.getTime()))
  const found = fireTimesBetween(input.cron, input.timezone, after, liveFrom ?? now, limit)
  const skippedTruncated = found.length === limit
  const missed = skippedTruncated ? found.slice(1) : found
  if (liveFrom !== null) {
    const dueLive = fireTimesBetween(input.cron, input.timezone, liveFrom, now, MAX_LIVE_SLOTS)
    const { fire, skipped } = planCatchUp({ policy, maxCatchUp, missed })
    return plan(policy, [...fire, ...dueLive], skipped, skippedTruncated, input)
  }
  const onTime = onTimeSlot(missed, now, input.graceMs ?? ON_TIME_GRACE_MS)
  const { fire, skipped } = planCatchUp({
    policy,
    maxCatchUp,
    missed: policy === 'none' && onTime ? missed.slice(0, -1) : missed,
  })
  if (policy === 'none' && onTime) return plan(policy, [onTime], skipped, skippedTruncated, input)
  return plan(policy, fire, skipped, skippedTruncated, input)
}

/** More than a per-second cron can have in LIVE_GAP_MS. */
const MAX_LIVE_SLOTS = 1000

function liveSince(input: FirePlanInput): Date | null {
  const previous = input.previousPassAt ?? null
  if (previous === null) return null
  const gap = input.now.getTime() - previous.getTime()
  return gap >= 0 && gap <= LIVE_GAP_MS ? previous : null
}

function onTimeSlot(missed: ReadonlyArray<Date>, now: Date, graceMs: number): Date | null {
  const newest = missed.at(-1)
  return newest && now.getTime() - newest.getTime() <= graceMs ? newest : null
}

function plan(
  policy: CatchUpPolicy,
  fire: ReadonlyArray<Date>,
  skipped: ReadonlyArray<Date>,
  skippedTruncated: boolean,
  input: FirePlanInput,
): FirePlan {
  const [next] = nextFireTimes(input.cron, input.timezone, input.now, 1)
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

/** A trigger's task with its validated input, ready to plan. */
export interface ReadyJob {
  readonly ok: true
  readonly task: TaskDef
  readonly input: Record<string, unknown>
}

export type PreparedJob = ReadyJob | { readonly ok: false; readonly reason: string }

/**
 * The task and validated input a trigger fire would run (input is checked at fire time too,
 * WORKSPACE-FORMAT.md §6.1), or why it cannot run.
 */
export function prepareTriggerJob(
  ws: Workspace,
  trigger: TriggerDef,
  renderDefault?: (template: string) => unknown,
): PreparedJob {
  const task = ws.tasks.get(trigger.task)
  if (!task) return { ok: false, reason: `task '${trigger.task}' not found` }
  if (task.unavailable) return { ok: false, reason: `task unavailable: ${task.unavailable}` }
  const checked = validateInput(task.input, task.declaresInput, trigger.input, { renderDefault })
  if (!checked.ok) return { ok: false, reason: formatInputIssues(checked.issues) }
  return { ok: true, task, input: checked.value }
}

/** What one slot does once its fence is held (ARCHITECTURE.md §6, WORKSPACE-FORMAT.md §6.1). */
export type SlotDecision =
  | { readonly kind: 'fire'; readonly job: ReadyJob; readonly cancelPrevious: boolean }
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'already' }

/**
 * Decides a due slot: a slot whose fire key exists has fired (only move on); an input that fails
 * validation, or `concurrency: skip` with an active job, skips it; otherwise it fires, cancelling
 * the active jobs first under `cancel_previous`.
 */
export function decideSlot(s: {
  readonly alreadyFired: boolean
  readonly prepared: PreparedJob
  readonly concurrency: ConcurrencyPolicy
  readonly activeJobs: number
}): SlotDecision {
  if (s.alreadyFired) return { kind: 'already' }
  const job = s.prepared
  if (!job.ok) return { kind: 'skip', reason: job.reason }
  switch (s.concurrency) {
    case 'allow':
      return { kind: 'fire', job, cancelPrevious: false }
    case 'skip':
      return s.activeJobs > 0
        ? { kind: 'skip', reason: 'previous_job_active' }
        : { kind: 'fire', job, cancelPrevious: false }
    case 'cancel_previous':
      return { kind: 'fire', job, cancelPrevious: s.activeJobs > 0 }
    default:
      return assertNever(s.concurrency, 'concurrency policy')
  }
}
