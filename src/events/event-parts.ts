/**
 * The event side of a replica, built once by the engine runtime: the hub that follows job_events,
 * the SSE streams it feeds, and the leader's retention loop.
 */
import type { Kysely } from 'kysely'
import {
  latestEventId,
  listEventsAfter,
  oldestEventId,
} from '../db/repositories/event.repository.ts'
import type { DB } from '../db/schema.ts'
import type { Clock } from '../shared/clock.ts'
import type { Logger } from '../shared/logger.ts'
import { EventHub } from './event-hub.ts'
import { EventRetention } from './event-retention.ts'
import { EventStreams } from './event-stream.ts'

export interface EventParts {
  readonly hub: EventHub
  readonly streams: EventStreams
  /** A retention loop for one leadership term. */
  newRetention(): EventRetention
  /** Ends every stream and stops following the table. */
  close(): Promise<void>
}

export function createEventParts(d: {
  readonly db: Kysely<DB>
  readonly logger: Logger
  readonly clock: Clock
  readonly pingMs?: number
  /** How often the hub re-reads the table while it has subscribers. */
  readonly pollMs?: number
}): EventParts {
  const { db, logger } = d
  const hub = new EventHub({
    readAfter: (afterId, limit) => listEventsAfter(db, afterId, { limit }),
    latestId: () => latestEventId(db),
    logger: logger.child({ component: 'event-hub' }),
    safetyPollMs: d.pollMs,
  })
  const streams = new EventStreams({
    hub,
    replay: (afterId, o) => listEventsAfter(db, afterId, o),
    oldestId: () => oldestEventId(db),
    logger: logger.child({ component: 'event-stream' }),
    now: () => d.clock.now(),
    pingMs: d.pingMs,
  })
  const retentionLog = logger.child({ component: 'event-retention' })
  return {
    hub,
    streams,
    newRetention: () => new EventRetention({ db, logger: retentionLog }),
    async close() {
      streams.close()
      await hub.close()
    },
  }
}
