/**
 * The cron scheduler (ARCHITECTURE.md §6 "Cron fires exactly once", "Missed runs"). Runs on the
 * leader only: the composition root starts it when elected and stops it when leadership is lost.
 * Each loop syncs trigger_state with the serving workspaces, fires every due slot, then sleeps
 * until the earliest `next_fire_at` (at most 30 s), woken early by workspace changes.
 */
import type { Kysely, Transaction } from 'kysely'
import { insertEvents } from '../db/repositories/event.repository.ts'
import {
  advanceTrigger,
  findDueTriggers,
  findEarliestFireAfter,
  findJobIdByFireKey,
  listActiveTriggerJobs,
  syncTriggerStates,
  type TriggerSpec,
  type TriggerState,
} from '../db/repositories/trigger-state.repository.ts'
import { isPgError, UNIQUE_VIOLATION } from '../db/pg-errors.ts'
import type { DB } from '../db/schema.ts'
import { withTransaction } from '../db/transaction.ts'
import { AfterCommit } from '../engine/after-commit.ts'
import type { Orchestrator } from '../engine/orchestrator.ts'
import { planJob } from '../engine/plan-job.ts'
import type { Clock } from '../shared/clock.ts'
import { assertNever, coerceError, ConflictError, NotFoundError } from '../shared/errors.ts'
import { newJobId, newStepRunId } from '../shared/ids.ts'
import type { Logger } from '../shared/logger.ts'
import { WakeSignal } from '../shared/wake-signal.ts'
import type { WorkspaceRegistry } from '../workspace/workspace-registry.ts'
import type { CatchUpPolicy, TriggerDef, Workspace } from '../workspace/workspace.ts'
import { nextFireTimes } from './cron.ts'
import {
  fireKeyOf,
  planFires,
  prepareTriggerJob,
  specHashOf,
  type FirePlan,
  type PreparedJob as Prepared,
} from './fire-plan.ts'

export interface SchedulerDeps {
  readonly db: Kysely<DB>
  readonly registry: Pick<WorkspaceRegistry, 'list' | 'onChange'>
  readonly orchestrator: Pick<Orchestrator, 'insertJobs' | 'cancelJob'>
  readonly clock: Clock
  readonly logger: Logger
  /** Runs a fire's effects (events, `_server` lines, wake-ups) after its transaction commits. */
  readonly onCommitted: (fx: AfterCommit) => void
  /** Renders a `{{ secret.* }}` input default (WORKSPACE-FORMAT.md §4.1); defaults stay as written without it. */
  readonly renderDefault?: (workspace: Workspace, template: string) => unknown
  readonly defaults: {
    readonly catchUp: CatchUpPolicy
    readonly maxCatchUp: number
    readonly stepTimeoutSecs: number
    readonly jobTimeoutSecs: number | null
  }
}

export interface RunResult {
  readonly fired: number
  /** Slots that will never fire: skipped by catch-up (as listed), by `concurrency: skip` or by bad input. */
  readonly skipped: number
}

/** The longest the loop sleeps, so a missed wake-up or a clock jump costs at most this. */
const MAX_SLEEP_MS = 30_000

interface Target {
  readonly workspace: Workspace
  readonly trigger: TriggerDef & { readonly cron: string }
  readonly specHash: string
}

type SlotOutcome = 'fired' | 'skipped' | 'already' | 'lost'

interface SlotResult {
  readonly outcome: SlotOutcome
  readonly fx?: AfterCommit
  /** Jobs to cancel after the commit (`concurrency: cancel_previous`). */
  readonly cancel?: ReadonlyArray<string>
}

interface Slot {
  readonly target: Target
  readonly at: Date
  readonly expected: Date
  readonly next: Date | null
  readonly now: Date
}

export class Scheduler {
  readonly #d: SchedulerDeps
  readonly #log: Logger
  readonly #wake = new WakeSignal()
  #targets = new Map<string, Target>()
  #abort: AbortController | null = null
  #loop: Promise<void> | null = null
  #unsubscribe: (() => void) | null = null
  #stopping: Promise<void> | null = null

  constructor(deps: SchedulerDeps) {
    this.#d = deps
    this.#log = deps.logger.child({ component: 'scheduler' })
  }

  /** Starts the loop (once; a stopped scheduler stays stopped). */
  start(): void {
    if (this.#loop || this.#stopping) return
    const abort = new AbortController()
    this.#abort = abort
    this.#unsubscribe = this.#d.registry.onChange(() => this.#wake.notify())
    this.#loop = this.#run(abort.signal)
    this.#log.info('scheduler started')
  }

  /** Stops the loop and waits for the current pass; every call returns the same promise. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#abort?.abort()
      this.#unsubscribe?.()
      await this.#loop
      if (this.#loop) this.#log.info('scheduler stopped')
    })()
    return this.#stopping
  }

  /** One pass: sync trigger_state, then fire every slot due at `now`. */
  async runOnce(now: Date): Promise<RunResult> {
    await this.#sync(now)
    let fired = 0
    let skipped = 0
    for (const state of await findDueTriggers(this.#d.db, now)) {
      const target = this.#targets.get(keyOf(state.workspace, state.triggerName))
      // Unknown here (never loaded, or another replica serves a different version): leave it.
      if (!target || target.specHash !== state.specHash) continue
      try {
        const r = await this.#fireDue(state, target, now)
        fired += r.fired
        skipped += r.skipped
      } catch (e) {
        this.#log.error(
          { err: coerceError(e), workspace: state.workspace, trigger: state.triggerName },
          'trigger fire failed; retrying on the next pass',
        )
      }
    }
    return { fired, skipped }
  }

  async #run(signal: AbortSignal): Promise<void> {
    let failures = 0
    while (!signal.aborted) {
      const seen = this.#wake.generation
      let delay: number
      try {
        await this.runOnce(this.#d.clock.now())
        delay = await this.#delayUntilNextFire()
        failures = 0
      } catch (e) {
        failures++
        delay = Math.min(MAX_SLEEP_MS, 500 * 2 ** failures)
        this.#log.error({ err: coerceError(e), retryInMs: delay }, 'scheduler pass failed')
      }
      await this.#wake.wait(seen, delay, signal)
    }
  }

  async #delayUntilNextFire(): Promise<number> {
    const now = this.#d.clock.now()
    const next = await findEarliestFireAfter(this.#d.db, now)
    if (!next) return MAX_SLEEP_MS
    return Math.min(MAX_SLEEP_MS, Math.max(1, next.getTime() - now.getTime()))
  }

  /** Rebuilds the trigger targets from the registry and writes them to trigger_state. */
  async #sync(now: Date): Promise<void> {
    const targets = new Map<string, Target>()
    const specs: TriggerSpec[] = []
    const keepWorkspaces: string[] = []
    for (const { name, current: workspace } of this.#d.registry.list()) {
      if (!workspace) keepWorkspaces.push(name)
      for (const t of workspace?.triggers.values() ?? []) {
        if (t.type !== 'scheduler' || t.cron === null || !workspace) continue
        const target: Target = { workspace, trigger: { ...t, cron: t.cron }, specHash: '' }
        const spec = this.#specOf(target, now)
        if (!spec) continue
        specs.push(spec)
        targets.set(keyOf(name, t.name), { ...target, specHash: spec.specHash })
      }
    }
    await syncTriggerStates(this.#d.db, specs, { keepWorkspaces, now })
    this.#targets = targets
  }

  #specOf({ workspace, trigger }: Target, now: Date): TriggerSpec | null {
    const { cron, timezone } = trigger
    try {
      const [startAt] = nextFireTimes(cron, timezone, now, 1)
      const specHash = specHashOf(cron, timezone)
      const names = { workspace: workspace.name, triggerName: trigger.name }
      return {
        ...names,
        cron,
        timezone,
        specHash,
        enabled: trigger.enabled,
        startAt: startAt ?? null,
      }
    } catch (e) {
      // Load-time validation rejects bad crons; this only guards against a library difference.
      const fields = { err: coerceError(e), workspace: workspace.name, trigger: trigger.name }
      this.#log.error(fields, 'cannot schedule trigger')
      return null
    }
  }

  /** Fires the due slots of one trigger per its catch-up policy, one transaction per slot. */
  async #fireDue(state: TriggerState, target: Target, now: Date): Promise<RunResult> {
    const { trigger } = target
    const plan = planFires({
      nextFireAt: state.nextFireAt,
      cron: trigger.cron,
      timezone: trigger.timezone,
      catchUp: trigger.catchUp,
      maxCatchUp: trigger.maxCatchUp,
      defaults: this.#d.defaults,
      now,
    })
    const expected = state.nextFireAt
    if (!expected) return { fired: 0, skipped: 0 }
    if (plan.skipped.length > 0 || plan.fire.length > 1) this.#logCatchUp(state, plan)
    if (plan.fire.length === 0) {
      await this.#advanceOnly({ target, at: expected, expected, next: plan.nextFireAt, now })
      return { fired: 0, skipped: plan.skipped.length }
    }
    let fired = 0
    let skipped = plan.skipped.length
    let fence: Date | null = expected
    for (const [i, at] of plan.fire.entries()) {
      if (!fence) break
      // Intermediate fires point next_fire_at at the next planned slot, so a crash mid-way resumes there.
      const next = plan.fire[i + 1] ?? plan.nextFireAt
      const outcome = await this.#fireSlot({ target, at, expected: fence, next, now })
      if (outcome === 'lost') break
      if (outcome === 'fired') fired++
      if (outcome === 'skipped') skipped++
      fence = next
    }
    return { fired, skipped }
  }

  /**
   * One slot, one transaction: read the overlap state, advance trigger_state fenced on the slot
   * this pass read (a racing scheduler matches nothing and rolls back), then insert the job with
   * its fire key and the events. `cancel_previous` cancels the older jobs only after the commit,
   * so only the scheduler that won the slot cancels anything; a crash in between leaves them
   * running, which `allow` would have done anyway.
   */
  async #fireSlot(slot: Slot): Promise<SlotOutcome> {
    const { workspace, trigger } = slot.target
    const render = this.#d.renderDefault
    const prepared = prepareTriggerJob(workspace, trigger, render && ((t) => render(workspace, t)))
    const jobId = newJobId()
    let result: SlotResult
    try {
      result = await withTransaction(this.#d.db, (trx) =>
        this.#fireInTransaction(trx, { slot, prepared, jobId }),
      )
    } catch (e) {
      // Someone created this slot's job outside our fence: the slot has fired, so only advance.
      if (!isPgError(e, UNIQUE_VIOLATION)) throw e
      return (await this.#advanceOnly(slot)) ? 'already' : 'lost'
    }
    if (result.fx) this.#d.onCommitted(result.fx)
    this.#logOutcome(slot, result.outcome, prepared.ok ? { jobId } : { reason: prepared.reason })
    await this.#cancelPrevious(slot, result.cancel ?? [])
    return result.outcome
  }

  async #fireInTransaction(
    trx: Transaction<DB>,
    f: { slot: Slot; prepared: Prepared; jobId: string },
  ): Promise<SlotResult> {
    const { slot, prepared, jobId } = f
    const { workspace: ws, trigger } = slot.target
    const sourceId = `${ws.name}/${trigger.name}`
    const fireKey = fireKeyOf(ws.name, trigger.name, slot.at)
    const active = await listActiveTriggerJobs(trx, sourceId)
    const already = await findJobIdByFireKey(trx, fireKey)
    const busy = trigger.concurrency === 'skip' && active.length > 0
    const skipReason = !prepared.ok ? prepared.reason : busy ? 'previous_job_active' : null
    const fired = !already && prepared.ok && !busy ? { at: slot.at, jobId } : null
    if (!(await advanceTrigger(trx, { ...this.#advanceOf(slot), fired })))
      return { outcome: 'lost' }
    if (already) return { outcome: 'already' }
    const event = { workspace: ws.name, trigger: trigger.name, task: trigger.task }
    const scheduled_for = slot.at.toISOString()
    if (!prepared.ok || skipReason !== null) {
      const fx = new AfterCommit()
      fx.event('trigger.skipped', { ...event, scheduled_for, reason: skipReason ?? 'invalid' })
      await insertEvents(trx, fx.events)
      return { outcome: 'skipped', fx }
    }
    const planned = planJob({
      jobId,
      newStepId: newStepRunId,
      workspace: ws,
      task: prepared.task,
      input: prepared.input,
      rawInput: trigger.input,
      source: { type: 'trigger', id: sourceId },
      now: slot.now,
      defaultStepTimeoutSecs: this.#d.defaults.stepTimeoutSecs,
      defaultJobTimeoutSecs: this.#d.defaults.jobTimeoutSecs,
      fireKey,
    })
    const fx = await this.#d.orchestrator.insertJobs(trx, [planned])
    fx.event('trigger.fired', { ...event, scheduled_for, job_id: jobId })
    await insertEvents(trx, fx.events)
    return { outcome: 'fired', fx, cancel: trigger.concurrency === 'cancel_previous' ? active : [] }
  }

  #advanceOf(slot: Slot) {
    return {
      workspace: slot.target.workspace.name,
      triggerName: slot.target.trigger.name,
      specHash: slot.target.specHash,
      expectedNextFireAt: slot.expected,
      nextFireAt: slot.next,
      fired: null,
      now: slot.now,
    }
  }

  async #advanceOnly(slot: Slot): Promise<boolean> {
    return withTransaction(this.#d.db, (trx) => advanceTrigger(trx, this.#advanceOf(slot)))
  }

  #logCatchUp(state: TriggerState, plan: FirePlan): void {
    const fields = {
      workspace: state.workspace,
      trigger: state.triggerName,
      policy: plan.policy,
      fire: plan.fire.map((d) => d.toISOString()),
      skipped: plan.skipped.map((d) => d.toISOString()),
      olderSkippedNotListed: plan.skippedTruncated,
    }
    const older = plan.skippedTruncated ? ' and older ones' : ''
    const counts = `firing ${plan.fire.length} slot(s), skipping ${plan.skipped.length}${older}`
    this.#log.info(fields, `catch-up (${plan.policy}): ${counts}`)
  }

  #logOutcome(
    slot: Slot,
    outcome: SlotOutcome,
    detail: { jobId: string } | { reason: string },
  ): void {
    const fields = {
      workspace: slot.target.workspace.name,
      trigger: slot.target.trigger.name,
      scheduledFor: slot.at.toISOString(),
    }
    switch (outcome) {
      case 'fired':
        return this.#log.info({ ...fields, ...detail }, 'trigger fired')
      case 'skipped':
        return 'reason' in detail
          ? this.#log.warn({ ...fields, ...detail }, 'trigger not fired')
          : this.#log.info(fields, 'trigger skipped: a previous job is still active')
      case 'already':
        return this.#log.info(fields, 'slot already fired; advanced')
      case 'lost':
        return this.#log.debug(fields, 'slot taken by another scheduler')
      default:
        return assertNever(outcome, 'slot outcome')
    }
  }

  async #cancelPrevious(slot: Slot, jobIds: ReadonlyArray<string>): Promise<void> {
    for (const id of jobIds) {
      try {
        await this.#d.orchestrator.cancelJob(id)
        this.#log.info(
          { workspace: slot.target.workspace.name, trigger: slot.target.trigger.name, jobId: id },
          'cancelled the previous job (concurrency: cancel_previous)',
        )
      } catch (e) {
        // It ended (or vanished) meanwhile: nothing left to cancel.
        if (e instanceof ConflictError || e instanceof NotFoundError) continue
        this.#log.warn({ err: coerceError(e), jobId: id }, 'could not cancel the previous job')
      }
    }
  }
}

function keyOf(workspace: string, trigger: string): string {
  return JSON.stringify([workspace, trigger])
}
