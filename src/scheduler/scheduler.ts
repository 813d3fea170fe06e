/**
 * The cron scheduler (ARCHITECTURE.md §6 "Cron fires exactly once", "Missed runs"). Runs on the
 * leader only: the composition root starts it when elected and stops it when leadership is lost.
 * Each pass syncs trigger_state with the serving workspaces (trigger-sync.ts), fires every due
 * slot (fire-due.ts, in batches: fire-batch.ts), then sleeps until the earliest `next_fire_at` (at most 30 s),
 * woken early by workspace changes.
 */
import {
  findDueTriggers,
  findEarliestFireAfter,
} from '../db/repositories/trigger-state.repository.ts'
import { coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import { WakeSignal } from '../shared/wake-signal.ts'
import { fireDue, type DueTrigger } from './fire-due.ts'
import {
  targetKey,
  type RunResult,
  type SchedulerContext,
  type SchedulerDeps,
} from './scheduler-deps.ts'
import { TriggerSync } from './trigger-sync.ts'

export type { RunResult, SchedulerDeps }

/** The longest the loop sleeps, so a missed wake-up or a clock jump costs at most this. */
const MAX_SLEEP_MS = 30_000

export class Scheduler {
  readonly #ctx: SchedulerContext
  readonly #wake = new WakeSignal()
  readonly #sync: TriggerSync
  /** The `now` of the last completed pass: slots due after it are on time, not missed. */
  #lastPassAt: Date | null = null
  /** Triggers whose slot failed last pass, with the previous-pass time their retry plans with. */
  #retrying = new Map<string, Date | null>()
  #abort: AbortController | null = null
  #loop: Promise<void> | null = null
  #unsubscribe: (() => void) | null = null
  #stopping: Promise<void> | null = null

  constructor(deps: SchedulerDeps) {
    this.#ctx = { d: deps, log: deps.logger.child({ component: 'scheduler' }) }
    this.#sync = new TriggerSync(this.#ctx)
  }

  get #log(): Logger {
    return this.#ctx.log
  }

  /** Starts the loop (once; a stopped scheduler stays stopped). */
  start(): void {
    if (this.#loop || this.#stopping) return
    const abort = new AbortController()
    this.#abort = abort
    this.#unsubscribe = this.#ctx.d.registry.onChange(() => this.#wake.notify())
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

  /**
   * One pass: sync trigger_state, then fire every slot due at `now`. Workspaces with a due
   * `force_refresh` trigger are reloaded first (WORKSPACE-FORMAT.md §6.1), so the fire uses
   * what is on disk now.
   */
  async runOnce(now: Date): Promise<RunResult> {
    let due = await this.#dueTriggers(now)
    const refresh = new Set(
      due.filter((d) => d.target.trigger.forceRefresh).map((d) => d.target.workspace.name),
    )
    if (refresh.size > 0) {
      await this.#reload(refresh)
      due = await this.#dueTriggers(now)
    }
    const { fired, skipped, failed } = await fireDue(this.#ctx, due, {
      now,
      previousPassAt: this.#lastPassAt,
      retrying: this.#retrying,
    })
    this.#lastPassAt = now
    this.#retrying = failed
    return { fired, skipped }
  }

  /** Due trigger_state rows that match a serving trigger; others are left for their server. */
  async #dueTriggers(now: Date): Promise<DueTrigger[]> {
    const targets = await this.#sync.targets(now)
    const due: DueTrigger[] = []
    for (const state of await findDueTriggers(this.#ctx.d.db, now)) {
      const target = targets.get(targetKey(state.workspace, state.triggerName))
      // Unknown here (never loaded, or another replica serves a different version): leave it.
      if (target && target.specHash === state.specHash) due.push({ state, target })
    }
    return due
  }

  async #reload(workspaces: ReadonlySet<string>): Promise<void> {
    for (const name of workspaces) {
      try {
        await this.#ctx.d.registry.reload(name)
      } catch (e) {
        const fields = { err: coerceError(e), workspace: name }
        this.#log.warn(fields, 'force_refresh: reload failed; firing the loaded version')
      }
    }
  }

  async #run(signal: AbortSignal): Promise<void> {
    let failures = 0
    while (!signal.aborted) {
      const seen = this.#wake.generation
      let delay: number
      try {
        const now = this.#ctx.d.clock.now()
        await this.runOnce(now)
        delay = await this.#delayUntilNextFire(now)
        failures = 0
      } catch (e) {
        failures++
        delay = Math.min(MAX_SLEEP_MS, 500 * 2 ** failures)
        this.#log.error({ err: coerceError(e), retryInMs: delay }, 'scheduler pass failed')
      }
      await this.#wake.wait(seen, delay, signal)
    }
  }

  /**
   * How long to sleep after a pass that handled everything due at `passNow`. Slots that fell
   * due while the pass ran are after `passNow`, so they wake the loop at once; a slot still at or
   * before `passNow` is one this scheduler does not serve (or failed), and waits for a later pass.
   */
  async #delayUntilNextFire(passNow: Date): Promise<number> {
    const next = await findEarliestFireAfter(this.#ctx.d.db, passNow)
    if (!next) return MAX_SLEEP_MS
    const now = this.#ctx.d.clock.nowMs()
    return Math.min(MAX_SLEEP_MS, Math.max(1, next.getTime() - now))
  }
}
