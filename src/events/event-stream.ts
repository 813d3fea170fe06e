/**
 * SSE clients of GET /api/events (API.md §8): retained events after Last-Event-ID, then live ones.
 *
 * Invariant: each matching event is written once, in id order, with nothing skipped across the
 * replay→live switch. The client subscribes to the hub first and gets the hub's cursor c: every
 * event above c will come from the hub, so the replay reads the table for (last id, c] only and
 * live events are held meanwhile. If the held events overflow their bound they are dropped and
 * the replay runs again up to the hub's newer cursor, so memory stays bounded. `lastSeen` (the
 * highest id covered, sent or filtered out) drops anything already covered.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { EventFilter, StoredEvent } from '../db/repositories/event.repository.ts'
import { coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import type { EventHub, EventSubscriber, HubEvent } from './event-hub.ts'
import { eventFrame, matchesFilter, PING_FRAME, SSE_PREAMBLE, sseFrame } from './sse-frame.ts'

export interface EventStreamDeps {
  readonly hub: Pick<EventHub, 'subscribe' | 'cursor'>
  /** Matching events with afterId < id <= upTo, in id order, at most `limit`. */
  readonly replay: (
    afterId: number,
    opts: { filter: EventFilter; upTo: number; limit: number },
  ) => Promise<ReadonlyArray<StoredEvent>>
  /** The smallest retained id, or null when none is. */
  readonly oldestId: () => Promise<number | null>
  readonly logger: Logger
  /** The `ts` of a resync notice. */
  readonly now: () => Date
  /** Keep-alive period (API.md §8: 30 s). */
  readonly pingMs?: number
  /** A client with more unread output than this is disconnected (default 1 MiB). */
  readonly maxBufferedBytes?: number
  /** Live events held during the replay before they are dropped and read again (default 10 000). */
  readonly maxHeldEvents?: number
}

export interface EventStreamRequest {
  readonly filter: EventFilter
  /** Resume point; undefined for a live-only stream. */
  readonly lastEventId: number | undefined
  /** Called once when the stream ends, however it ends. */
  readonly onClose?: () => void
}

const REPLAY_PAGE = 500

/** One client's stream; every failure ends it (the client reconnects with Last-Event-ID). */
class EventStream implements EventSubscriber {
  readonly #d: EventStreamDeps
  readonly #req: IncomingMessage
  readonly #res: ServerResponse
  readonly #r: EventStreamRequest
  readonly #onEnded: () => void
  #lastSeen = 0
  #replaying = true
  #held: HubEvent[] = []
  #overflowed = false
  #closed = false
  #cleanups: Array<() => void> = []

  constructor(
    deps: EventStreamDeps,
    io: { req: IncomingMessage; res: ServerResponse },
    r: EventStreamRequest,
    onEnded: () => void,
  ) {
    this.#d = deps
    this.#req = io.req
    this.#res = io.res
    this.#r = r
    this.#onEnded = onEnded
  }

  async start(): Promise<void> {
    const res = this.#res
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    })
    this.#req.socket.setTimeout(0)
    this.#req.socket.setNoDelay(true)
    const onGone = () => this.close()
    res.on('close', onGone)
    res.on('error', onGone)
    this.#cleanups.push(() => {
      res.off('close', onGone)
      res.off('error', onGone)
    })
    this.#write(SSE_PREAMBLE)
    const ping = setInterval(() => this.#write(PING_FRAME), this.#d.pingMs ?? 30_000)
    this.#cleanups.push(() => clearInterval(ping))
    try {
      const sub = await this.#d.hub.subscribe(this)
      if (this.#closed) return sub.unsubscribe()
      this.#cleanups.push(() => sub.unsubscribe())
      this.#lastSeen = sub.cursor
      if (this.#r.lastEventId !== undefined) await this.#replayFrom(this.#r.lastEventId, sub.cursor)
      this.#goLive()
    } catch (e) {
      this.#d.logger.warn({ err: coerceError(e) }, 'event stream failed; closing it')
      this.close()
    }
  }

  onEvents(events: ReadonlyArray<HubEvent>): void {
    if (this.#closed) return
    if (!this.#replaying) return this.#forward(events)
    this.#held.push(...events)
    if (this.#held.length > (this.#d.maxHeldEvents ?? 10_000)) {
      this.#held = []
      this.#overflowed = true
    }
  }

  /** Ends the response cleanly (server shutdown); the client reconnects with Last-Event-ID. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    for (const c of this.#cleanups.splice(0)) c()
    this.#held = []
    if (!this.#res.writableEnded) this.#res.end()
    this.#onEnded()
  }

  async #replayFrom(lastEventId: number, cursor: number): Promise<void> {
    let from = lastEventId
    const oldest = await this.#d.oldestId()
    if (oldest !== null && from + 1 < oldest) {
      // Older than retention: say so, then replay what is left.
      this.#write(sseFrame('resync', { oldest_id: oldest, ts: this.#d.now().toISOString() }))
      from = oldest - 1
    }
    this.#lastSeen = from
    let upTo = cursor
    for (;;) {
      await this.#replayUpTo(upTo)
      if (!this.#overflowed || this.#closed) return
      this.#overflowed = false
      upTo = this.#d.hub.cursor
    }
  }

  async #replayUpTo(upTo: number): Promise<void> {
    for (;;) {
      if (this.#closed) return
      const page = await this.#d.replay(this.#lastSeen, {
        filter: this.#r.filter,
        upTo,
        limit: REPLAY_PAGE,
      })
      for (const e of page) {
        this.#write(eventFrame(e))
        this.#lastSeen = e.id
      }
      if (page.length < REPLAY_PAGE) break
      if (this.#res.writableNeedDrain) await this.#drained()
    }
    this.#lastSeen = Math.max(this.#lastSeen, upTo)
  }

  #goLive(): void {
    const held = this.#held
    this.#held = []
    this.#replaying = false
    this.#forward(held)
  }

  #forward(events: ReadonlyArray<HubEvent>): void {
    for (const e of events) {
      if (this.#closed) return
      if (e.id <= this.#lastSeen) continue
      this.#lastSeen = e.id
      if (matchesFilter(e, this.#r.filter)) this.#write(e.frame)
    }
  }

  #write(text: string): void {
    if (this.#closed) return
    this.#res.write(text)
    if (this.#res.writableLength <= (this.#d.maxBufferedBytes ?? 1024 * 1024)) return
    this.#d.logger.info(
      { buffered: this.#res.writableLength },
      'closing an event stream whose client reads too slowly',
    )
    this.close()
    this.#res.destroy()
  }

  /** Waits until the client has read what was written, or the stream ended. */
  #drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#res.off('drain', done)
        this.#res.off('close', done)
        resolve()
      }
      this.#res.on('drain', done)
      this.#res.on('close', done)
    })
  }
}

/** The open event streams of this replica: opened by the route, all ended on shutdown. */
export class EventStreams {
  readonly #deps: EventStreamDeps
  readonly #open = new Set<EventStream>()
  #closed = false

  constructor(deps: EventStreamDeps) {
    this.#deps = deps
  }

  /** Takes over the response: writes the head and the stream until either side ends it. */
  open(req: IncomingMessage, res: ServerResponse, r: EventStreamRequest): void {
    let ended = false
    const stream = new EventStream(this.#deps, { req, res }, r, () => {
      if (ended) return
      ended = true
      this.#open.delete(stream)
      r.onClose?.()
    })
    this.#open.add(stream)
    void stream.start()
    if (this.#closed) stream.close()
  }

  /**
   * One read of the table the replay starts with: a resuming client is answered 503 while the
   * database is away, instead of a stream that ends before its first event.
   */
  async probe(): Promise<void> {
    await this.#deps.oldestId()
  }

  count(): number {
    return this.#open.size
  }

  /** Ends every stream and refuses none: later ones are ended at once (idempotent). */
  close(): void {
    this.#closed = true
    for (const s of [...this.#open]) s.close()
  }
}
