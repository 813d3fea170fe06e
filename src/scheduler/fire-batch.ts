/**
 * Fires a batch of due slots, at most one per trigger, in one transaction (ARCHITECTURE.md §6
 * "Cron fires exactly once"): lock the triggers' fences, decide each slot (fire-plan.ts), apply
 * the overlap policy under the previous jobs' row locks, insert the jobs with their fire keys,
 * advance trigger_state, and insert the events last. A slot whose fence moved is left to the
 * scheduler that moved it. One transaction for N triggers is what keeps hundreds of triggers
 * on the same second on time: a handful of statements instead of several per trigger.
 */
import type { Transaction } from 'kysely'
import { advanceTriggers, type TriggerAdvance } from '../db/queries/advance-triggers.ts'
import { fenceKey, lockTriggerFences } from '../db/queries/lock-trigger-fences.ts'
import { insertEvents } from '../db/repositories/event.repository.ts'
import {
  findFiredKeys,
  listActiveTriggerJobs,
} from '../db/repositories/trigger-state.repository.ts'
import { isPgError, UNIQUE_VIOLATION } from '../db/pg-errors.ts'
import type { DB } from '../db/schema.ts'
import { withTransaction } from '../db/transaction.ts'
import { AfterCommit } from '../flow/after-commit.ts'
import { planJob, type PlannedJob } from '../flow/plan-job.ts'
import { assertNever, coerceError } from '../shared/errors.ts'
import { newJobId, newStepRunId } from '../shared/ids.ts'
import { logSlot, type SlotOutcome } from './fire-log.ts'
import {
  decideSlot,
  fireKeyOf,
  prepareTriggerJob,
  type PreparedJob,
  type ReadyJob,
} from './fire-plan.ts'
import { cancelActiveJobs } from './overlap.ts'
import type { SchedulerContext, Target } from './scheduler-deps.ts'

export type { SlotOutcome }

/** One slot of one trigger, and the fence its transaction checks. */
export interface Slot {
  /** The trigger's targetKey. */
  readonly key: string
  readonly target: Target
  /** The nominal time of the slot; null only moves the schedule (catch-up skipped every due slot). */
  readonly at: Date | null
  /** The `next_fire_at` this pass read: the fence. */
  readonly expected: Date
  /** Where `next_fire_at` points after this slot. */
  readonly next: Date | null
}

/** A slot with what can be worked out before the transaction. */
interface Pending {
  readonly slot: Slot
  readonly key: string
  readonly sourceId: string
  readonly fireKey: string | null
  readonly prepared: PreparedJob
  readonly jobId: string
}

interface Settled {
  readonly outcome: SlotOutcome
  readonly reason?: string
  readonly cancelled?: ReadonlyArray<string>
}

/**
 * Fires `slots` (distinct triggers) and returns each slot's outcome, in order. If the batch
 * transaction fails, its slots are retried one per transaction, so one broken trigger cannot hold
 * back the others; a slot that still fails is `failed` (logged) and is retried on a later pass.
 */
export async function fireBatch(
  ctx: SchedulerContext,
  slots: ReadonlyArray<Slot>,
): Promise<SlotOutcome[]> {
  const pending = slots.map((s) => prepare(ctx, s))
  try {
    return await fireAll(ctx, pending)
  } catch (e) {
    if (pending.length === 1) return [await recover(ctx, pending[0]!, e)]
    ctx.log.warn({ err: coerceError(e), slots: pending.length }, 'fire batch failed; one by one')
    const outcomes: SlotOutcome[] = []
    for (const p of pending) outcomes.push(await fireAlone(ctx, p))
    return outcomes
  }
}

async function fireAlone(ctx: SchedulerContext, p: Pending): Promise<SlotOutcome> {
  try {
    const [outcome] = await fireAll(ctx, [p])
    return outcome!
  } catch (e) {
    return recover(ctx, p, e)
  }
}

/** After a slot's own transaction failed: a clash on its fire key means it has fired. */
async function recover(ctx: SchedulerContext, p: Pending, e: unknown): Promise<SlotOutcome> {
  if (isPgError(e, UNIQUE_VIOLATION) && p.fireKey !== null) {
    // The slot's job was created outside our fence: the slot has fired, so only move on.
    const [moved] = await fireAll(ctx, [{ ...p, slot: { ...p.slot, at: null }, fireKey: null }])
    return moved === 'advanced' ? 'already' : moved!
  }
  const { workspace, trigger } = p.slot.target
  const fields = { err: coerceError(e), workspace: workspace.name, trigger: trigger.name }
  ctx.log.error(fields, 'trigger fire failed; retrying on the next pass')
  return 'failed'
}

function prepare(ctx: SchedulerContext, slot: Slot): Pending {
  const { workspace, trigger } = slot.target
  const render = ctx.d.renderDefault
  return {
    slot,
    key: fenceKey(workspace.name, trigger.name),
    sourceId: `${workspace.name}/${trigger.name}`,
    fireKey: slot.at === null ? null : fireKeyOf(workspace.name, trigger.name, slot.at),
    prepared: prepareOrExplain(() =>
      prepareTriggerJob(workspace, trigger, render && ((t) => render(workspace, t))),
    ),
    jobId: newJobId(),
  }
}

/** A default that fails to render skips the slot with the reason, like any invalid input. */
function prepareOrExplain(prepareJob: () => PreparedJob): PreparedJob {
  try {
    return prepareJob()
  } catch (e) {
    return { ok: false, reason: `input could not be prepared: ${coerceError(e).message}` }
  }
}

async function fireAll(
  ctx: SchedulerContext,
  pending: ReadonlyArray<Pending>,
): Promise<SlotOutcome[]> {
  const { settled, fx } = await withTransaction(ctx.d.db, (trx) =>
    fireInTransaction(ctx, trx, pending),
  )
  ctx.d.onCommitted(fx)
  return pending.map((p) => {
    const s = settled.get(p.key)!
    logSlot(ctx, p.slot, s, p.jobId)
    return s.outcome
  })
}

async function fireInTransaction(
  ctx: SchedulerContext,
  trx: Transaction<DB>,
  pending: ReadonlyArray<Pending>,
): Promise<{ settled: Map<string, Settled>; fx: AfterCommit }> {
  const now = ctx.d.clock.now()
  const held = await lockTriggerFences(trx, pending.map(fenceOf))
  const live = pending.filter((p) => held.has(p.key))
  const firedKeys = await findFiredKeys(
    trx,
    live.flatMap((p) => (p.fireKey === null ? [] : [p.fireKey])),
  )
  const watched = live.filter((p) => p.slot.target.trigger.concurrency !== 'allow')
  const active = await listActiveTriggerJobs(trx, [...new Set(watched.map((p) => p.sourceId))])
  const fx = new AfterCommit()
  const settled = new Map<string, Settled>(pending.map((p) => [p.key, { outcome: 'lost' }]))
  const jobs: PlannedJob[] = []
  for (const p of live) {
    const s = await settleSlot(ctx, trx, { p, firedKeys, active, fx })
    settled.set(p.key, s.settled)
    if (s.job) jobs.push(plannedJob(ctx, p, s.job, now))
  }
  fx.merge(await ctx.d.orchestrator.insertJobs(trx, jobs))
  for (const p of live) {
    if (p.slot.at === null || settled.get(p.key)?.outcome !== 'fired') continue
    fx.event('trigger.fired', { ...eventOf(p.slot.target, p.slot.at), job_id: p.jobId })
  }
  await advanceTriggers(
    trx,
    live.map((p) => advanceOf(p, settled.get(p.key)!)),
    now,
  )
  await insertEvents(trx, fx.events)
  return { settled, fx }
}

/** Decides one slot whose fence is held, and applies `cancel_previous` (under the job locks). */
async function settleSlot(
  ctx: SchedulerContext,
  trx: Transaction<DB>,
  c: {
    p: Pending
    firedKeys: ReadonlySet<string>
    active: ReadonlyMap<string, ReadonlyArray<string>>
    fx: AfterCommit
  },
): Promise<{ settled: Settled; job?: ReadyJob }> {
  const { slot, fireKey } = c.p
  if (slot.at === null || fireKey === null) return { settled: { outcome: 'advanced' } }
  const activeJobs = c.active.get(c.p.sourceId) ?? []
  const decision = decideSlot({
    alreadyFired: c.firedKeys.has(fireKey),
    prepared: c.p.prepared,
    concurrency: slot.target.trigger.concurrency,
    activeJobs: activeJobs.length,
  })
  switch (decision.kind) {
    case 'already':
      return { settled: { outcome: 'already' } }
    case 'skip':
      c.fx.event('trigger.skipped', { ...eventOf(slot.target, slot.at), reason: decision.reason })
      return { settled: { outcome: 'skipped', reason: decision.reason } }
    case 'fire': {
      // Previous jobs first, so their cancel events precede the new job's.
      const cancel = decision.cancelPrevious ? await cancelActiveJobs(ctx, trx, activeJobs) : null
      if (cancel) c.fx.merge(cancel.fx)
      return { settled: { outcome: 'fired', cancelled: cancel?.cancelled }, job: decision.job }
    }
    default:
      return assertNever(decision, 'slot decision')
  }
}

function advanceOf(p: Pending, s: Settled): TriggerAdvance {
  const fired = s.outcome === 'fired' && p.slot.at !== null
  return {
    workspace: p.slot.target.workspace.name,
    triggerName: p.slot.target.trigger.name,
    nextFireAt: p.slot.next,
    fired: fired ? { at: p.slot.at, jobId: p.jobId } : null,
  }
}

function fenceOf(p: Pending) {
  return {
    workspace: p.slot.target.workspace.name,
    triggerName: p.slot.target.trigger.name,
    specHash: p.slot.target.specHash,
    expectedNextFireAt: p.slot.expected,
  }
}

function eventOf(target: Target, at: Date) {
  const { workspace, trigger } = target
  return {
    workspace: workspace.name,
    trigger: trigger.name,
    task: trigger.task,
    scheduled_for: at.toISOString(),
  }
}

function plannedJob(ctx: SchedulerContext, p: Pending, job: ReadyJob, now: Date): PlannedJob {
  const { workspace, trigger } = p.slot.target
  return planJob({
    jobId: p.jobId,
    newStepId: newStepRunId,
    workspace,
    task: job.task,
    input: job.input,
    rawInput: trigger.input,
    source: { type: 'trigger', id: p.sourceId },
    // created_at is when the job was really created, so lateness behind the slot shows.
    now,
    defaultStepTimeoutSecs: ctx.d.defaults.stepTimeoutSecs,
    defaultJobTimeoutSecs: ctx.d.defaults.jobTimeoutSecs,
    fireKey: p.fireKey,
  })
}
