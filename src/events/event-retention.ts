/**
 * Leader-only retention of job_events (API.md §8: 24 h). Deletes in small batches, each its own
 * statement, so no long transaction holds the table; a client resuming from a deleted id gets
 * `resync`. The loop never throws: a failed pass is logged and retried at the next interval.
 */
import type { Kysely } from 'kysely'
import { deleteOldEvents } from '../db/repositories/event.repository.ts'
import type { DB } from '../db/schema.ts'
import { coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import { Periodic } from '../shared/periodic.ts'

export const EVENT_RETENTION_SECS = 24 * 3600

export interface EventRetentionDeps {
  readonly db: Kysely<DB>
  readonly logger: Logger
  readonly maxAgeSecs?: number
  /** Time between passes (default 60 s; the first pass runs at start). */
  readonly intervalMs?: number
  readonly batch?: number
}

export class EventRetention {
  readonly #d: EventRetentionDeps
  readonly #loop: Periodic

  constructor(deps: EventRetentionDeps) {
    this.#d = deps
    this.#loop = new Periodic(() => this.runOnce(), deps.intervalMs ?? 60_000)
  }

  start(): void {
    this.#loop.start()
  }

  /** Stops the loop and waits for a pass in progress; every call returns the same promise. */
  stop(): Promise<void> {
    return this.#loop.stop()
  }

  /** Deletes every event older than the retention (by `now`, default the database clock). */
  async runOnce(now?: Date): Promise<number> {
    const batch = this.#d.batch ?? 1000
    const maxAgeSecs = this.#d.maxAgeSecs ?? EVENT_RETENTION_SECS
    let total = 0
    try {
      for (;;) {
        const n = await deleteOldEvents(this.#d.db, { maxAgeSecs, batch, now })
        total += n
        if (n < batch || this.#loop.stopping) break
      }
      if (total > 0) this.#d.logger.info({ deleted: total }, 'old events deleted')
    } catch (e) {
      this.#d.logger.warn({ err: coerceError(e) }, 'event retention pass failed')
    }
    return total
  }
}
