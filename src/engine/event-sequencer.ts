/**
 * Stamps ids on committed job_events rows (ARCHITECTURE.md §6, "Events in commit order"), then
 * calls `onStamped` so streams and other replicas can read them. Woken by `kick()` after a commit
 * that inserted events, and by a safety poll; one stamp runs at a time; the loop never throws.
 */
import type { Kysely } from 'kysely'
import { STAMP_BATCH, stampEvents } from '../db/queries/stamp-events.ts'
import type { DB } from '../db/schema.ts'
import { coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import { WakeSignal } from '../shared/wake-signal.ts'

export class EventSequencer {
  readonly #db: Kysely<DB>
  readonly #logger: Logger
  readonly #onStamped: (count: number) => void
  readonly #pollMs: number
  readonly #wake = new WakeSignal()
  readonly #abort = new AbortController()
  #loop: Promise<void> | null = null
  #stamping: Promise<number> | null = null
  #stopped = false

  constructor(d: {
    db: Kysely<DB>
    logger: Logger
    /** Called after a pass stamped at least one row, with how many. */
    onStamped: (count: number) => void
    pollMs?: number
  }) {
    this.#db = d.db
    this.#logger = d.logger
    this.#onStamped = d.onStamped
    this.#pollMs = d.pollMs ?? 200
  }

  start(): void {
    if (this.#loop || this.#stopped) return
    this.#loop = this.#run()
  }

  /** Idempotent; resolves once the loop and any stamp in flight have finished. */
  async stop(): Promise<void> {
    this.#stopped = true
    this.#abort.abort()
    await this.#loop
    await this.#stamping?.catch(() => undefined)
  }

  /** Asks the loop for a pass soon: call after a commit that inserted events. */
  kick(): void {
    this.#wake.notify()
  }

  /**
   * Stamps every row that can be stamped now and returns how many; `onStamped` runs when that is
   * more than zero. Calls made while a pass runs wait for it and then run their own.
   */
  async stampNow(): Promise<number> {
    const previous = this.#stamping
    const pass = (async () => {
      await previous?.catch(() => undefined)
      let total = 0
      for (;;) {
        const n = await stampEvents(this.#db, STAMP_BATCH)
        total += n
        if (n < STAMP_BATCH) break
      }
      if (total > 0) {
        try {
          this.#onStamped(total)
        } catch (e) {
          this.#logger.warn({ err: coerceError(e) }, 'event listener failed')
        }
      }
      return total
    })()
    this.#stamping = pass
    try {
      return await pass
    } finally {
      if (this.#stamping === pass) this.#stamping = null
    }
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const seen = this.#wake.generation
      try {
        await this.stampNow()
      } catch (e) {
        this.#logger.warn({ err: coerceError(e) }, 'event stamping failed; retrying next round')
      }
      await this.#wake.wait(seen, this.#pollMs, this.#abort.signal)
    }
  }
}
