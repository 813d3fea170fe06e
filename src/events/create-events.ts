/**
 * The event feature of `weir serve`: the domain event bus every committed transaction publishes
 * to (metrics, the SSE hub, tests), the hub that follows job_events for this replica's SSE
 * clients, the streams it feeds, and the leader's retention loop.
 */
import { EventEmitter } from 'node:events'
import type { Database } from '../db/create-db.ts'
import {
  latestEventId,
  listEventsAfter,
  oldestEventId,
} from '../db/repositories/event.repository.ts'
import type { Clock } from '../shared/clock.ts'
import type { DomainEvent } from '../shared/events.ts'
import type { Logger } from '../shared/logger.ts'
import { EventHub } from './event-hub.ts'
import { EventRetention } from './event-retention.ts'
import { EventStreams } from './event-stream.ts'

export type EventBus = EventEmitter<{ events: [ReadonlyArray<DomainEvent>] }>

export interface Events {
  /** Events of transactions committed by this replica, in commit order. */
  readonly bus: EventBus
  readonly hub: EventHub
  /** GET /api/events. */
  readonly streams: EventStreams
  /** The leader's retention loop, for one leadership term. */
  retention(): EventRetention
  /** One retention pass (`now` steers time in tests); returns how many events were deleted. */
  prune(now?: Date): Promise<number>
  /** Ends every stream and stops following the table. Idempotent. */
  stop(): Promise<void>
}

export function createEvents(d: {
  readonly database: Database
  readonly logger: Logger
  readonly clock: Clock
  /** SSE keep-alive period (API.md §8: 30 000 ms). */
  readonly pingMs?: number
}): Events {
  const { logger } = d
  const db = d.database.db
  const bus: EventBus = new EventEmitter()
  const hub = new EventHub({
    readAfter: (afterId, limit) => listEventsAfter(db, afterId, { limit }),
    latestId: () => latestEventId(db),
    logger: logger.child({ component: 'event-hub' }),
    // Other replicas' events are found by polling while this replica has SSE subscribers.
    safetyPollMs: d.database.kind === 'postgres' ? 200 : 5000,
  })
  // Events committed here wake the hub at once.
  bus.on('events', () => hub.wake())
  const streams = new EventStreams({
    hub,
    replay: (afterId, o) => listEventsAfter(db, afterId, o),
    oldestId: () => oldestEventId(db),
    logger: logger.child({ component: 'event-stream' }),
    now: () => d.clock.now(),
    pingMs: d.pingMs,
  })
  const retentionLog = logger.child({ component: 'event-retention' })
  const retention = () => new EventRetention({ db, logger: retentionLog })
  let stopping: Promise<void> | null = null
  return {
    bus,
    hub,
    streams,
    retention,
    prune: (now) => retention().runOnce(now),
    stop() {
      stopping ??= (async () => {
        streams.close()
        await hub.close()
      })()
      return stopping
    },
  }
}
