/**
 * "Steps are ready": wakes this replica's claimers at once (a local level-triggered signal) and,
 * on PostgreSQL with other live replicas, theirs through NOTIFY. Alone on the database (the
 * replica heartbeat counts live replicas every 3 s) the local signal already woke every claimer,
 * and a NOTIFY would only cost two commits; a replica that starts meanwhile relies on its safety
 * poll until the next count.
 */
import { notify, READY_CHANNEL } from '../db/notifications.ts'
import type { Database } from '../db/create-db.ts'
import { coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import { WakeSignal } from '../shared/wake-signal.ts'

export interface ReadySignalDeps {
  readonly database: Database
  readonly replicaId: string
  /** Live replicas on the database (1 when alone or on the embedded database). */
  readonly liveReplicas: () => number
  readonly logger: Logger
}

export class ReadySignal {
  /** What claimers wait on. */
  readonly wake = new WakeSignal()
  readonly channel = READY_CHANNEL
  readonly #d: ReadySignalDeps

  constructor(d: ReadySignalDeps) {
    this.#d = d
  }

  notify(): void {
    this.wake.notify()
    const { database, replicaId, logger } = this.#d
    if (database.kind === 'postgres' && this.#d.liveReplicas() > 1)
      notify(database.db, READY_CHANNEL, replicaId).catch((err: unknown) =>
        logger.warn({ err: coerceError(err) }, 'NOTIFY failed'),
      )
  }

  /** A NOTIFY on the ready channel: another replica's steps (this one's woke locally already). */
  onNotify(payload: string): void {
    if (payload !== this.#d.replicaId) this.wake.notify()
  }
}
