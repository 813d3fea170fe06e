/**
 * Every `weir serve` on PostgreSQL keeps its `replicas` row fresh: that row is how the leader
 * tells a live log owner from a dead one. The first beat is awaited by `start()`; the row is
 * deleted on a clean stop so the leader hands the logs over at once. Each beat also counts the
 * live replicas, which tells the log writer whether forwards from others can exist at all.
 */
import type { Kysely } from 'kysely'
import {
  countLiveReplicas,
  deleteReplica,
  touchReplica,
} from '../db/repositories/replica.repository.ts'
import type { DB } from '../db/schema.ts'
import { coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'

export interface ReplicaHeartbeatDeps {
  readonly db: Kysely<DB>
  readonly replicaId: string
  readonly logger: Logger
  readonly intervalMs: number
  /** A replica unseen this long is dead. */
  readonly lapseSecs: number
}

export class ReplicaHeartbeat {
  readonly #d: ReplicaHeartbeatDeps
  #timer: NodeJS.Timeout | null = null
  #beat: Promise<void> | null = null
  #live = 1
  #stopping: Promise<void> | null = null

  constructor(deps: ReplicaHeartbeatDeps) {
    this.#d = deps
  }

  /** Live replicas at the last beat (this one included; at least 1). */
  get liveReplicas(): number {
    return this.#live
  }

  async start(): Promise<void> {
    if (this.#timer || this.#stopping) return
    await this.#beatOnce()
    this.#timer = setInterval(() => {
      this.#beat ??= this.#beatOnce().finally(() => (this.#beat = null))
    }, this.#d.intervalMs)
    this.#timer.unref()
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      if (this.#timer) clearInterval(this.#timer)
      this.#timer = null
      await this.#beat
      await deleteReplica(this.#d.db, this.#d.replicaId).catch((e: unknown) =>
        this.#d.logger.warn({ err: coerceError(e) }, 'could not remove this replica row'),
      )
    })()
    return this.#stopping
  }

  async #beatOnce(): Promise<void> {
    try {
      await touchReplica(this.#d.db, this.#d.replicaId, null)
      this.#live = Math.max(1, await countLiveReplicas(this.#d.db, this.#d.lapseSecs))
    } catch (e) {
      this.#d.logger.warn({ err: coerceError(e) }, 'replica heartbeat failed')
    }
  }
}
