/**
 * `GET /api/events`: the domain event stream over SSE (API.md §8). Filters and the resume point
 * are checked before anything is written, so a bad request still gets a JSON 400. After that the
 * response is written by hand: retry hint, ping, replay after Last-Event-ID, then every event
 * stamped later, read from the store after the last id sent. A client that stops reading is cut
 * off and resumes with Last-Event-ID.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type Router from '@koa/router'
import { BadRequestError, coerceError } from '../../shared/errors.ts'
import { EVENT_TYPES } from '../../shared/events.ts'
import type { Logger } from '../../shared/logger.ts'
import type { ApiDeps } from '../api-deps.ts'
import { parseJobId, stringParam } from '../query.ts'

export interface EventStreamFilters {
  workspace?: string
  jobId?: string
  types?: ReadonlyArray<string>
}

/** One stamped event as the store returns it. */
export interface StreamEvent {
  id: number
  type: string
  data: Record<string, unknown>
  at: Date
}

export interface EventStreamDeps {
  /** Stamped events with id > afterId matching the filters, in id order, at most `limit`. */
  listAfter(
    afterId: number,
    filters: EventStreamFilters,
    limit: number,
  ): Promise<ReadonlyArray<StreamEvent>>
  /** Smallest retained id, or null when there is none. */
  oldestId(): Promise<number | null>
  /** Largest stamped id, or null: where a stream without Last-Event-ID starts. */
  latestId(): Promise<number | null>
  /** Calls `listener` whenever new ids were stamped; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void
  /** Ends every open stream when aborted (server shutdown). */
  readonly shutdown?: AbortSignal
  /** Keep-alive period; 30 s unless set. */
  readonly pingMs?: number
  /** A client whose unread output stays above `maxBufferedBytes` this long is cut off. */
  readonly slowClientMs?: number
  readonly maxBufferedBytes?: number
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(EVENT_TYPES)
const PAGE = 500

function parseFilters(q: Record<string, string | string[] | undefined>): EventStreamFilters {
  const filters: EventStreamFilters = {}
  const workspace = stringParam(q, 'workspace')
  if (workspace !== undefined) filters.workspace = workspace
  const jobId = stringParam(q, 'job_id')
  if (jobId !== undefined) filters.jobId = parseJobId(jobId)
  const types = stringParam(q, 'types')
  if (types !== undefined) {
    const list = types
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '')
    const unknown = list.filter((t) => !KNOWN_TYPES.has(t))
    if (unknown.length > 0) {
      throw new BadRequestError(
        `unknown event types: ${unknown.join(', ')} (known: ${EVENT_TYPES.join(', ')})`,
        'types',
      )
    }
    if (list.length > 0) filters.types = list
  }
  return filters
}

/** The resume point: the Last-Event-ID header, else `last_event_id`; undefined for live only. */
function parseLastEventId(
  header: string | undefined,
  q: Record<string, string | string[] | undefined>,
): number | undefined {
  const fromHeader = header !== undefined && header.trim() !== ''
  const raw = fromHeader ? header.trim() : stringParam(q, 'last_event_id')
  if (raw === undefined) return undefined
  const field = fromHeader ? 'Last-Event-ID' : 'last_event_id'
  const n = Number(raw)
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) {
    throw new BadRequestError(`${field} must be a non-negative integer, got '${raw}'`, field)
  }
  return n
}

function frame(event: string, data: unknown, id?: number): string {
  const idLine = id === undefined ? '' : `id: ${id}\n`
  return `${idLine}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
}

export function eventRoutes(router: Router, deps: ApiDeps, events: EventStreamDeps): void {
  router.get('/api/events', async (ctx) => {
    const filters = parseFilters(ctx.query)
    const lastEventId = parseLastEventId(ctx.get('Last-Event-ID') || undefined, ctx.query)
    ctx.respond = false
    const stream = new EventStream(ctx.req, ctx.res, events, deps.logger)
    await stream.open(filters, lastEventId)
  })
}

/** One client's stream; every failure ends it quietly (the client resumes). */
class EventStream {
  readonly #req: IncomingMessage
  readonly #res: ServerResponse
  readonly #deps: EventStreamDeps
  readonly #logger: Logger
  #closed = false
  #pending = false
  #wakeUp: (() => void) | null = null
  #cleanups: Array<() => void> = []

  constructor(req: IncomingMessage, res: ServerResponse, deps: EventStreamDeps, logger: Logger) {
    this.#req = req
    this.#res = res
    this.#deps = deps
    this.#logger = logger
  }

  /** Writes the head and starts the pump; resolves once the stream is set up. */
  async open(filters: EventStreamFilters, lastEventId: number | undefined): Promise<void> {
    const res = this.#res
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    })
    this.#req.socket.setTimeout(0)
    this.#req.socket.setNoDelay(true)
    const onClose = () => this.close()
    this.#req.on('close', onClose)
    res.on('close', onClose)
    res.on('error', onClose)
    this.#cleanups.push(() => {
      this.#req.off('close', onClose)
      res.off('close', onClose)
      res.off('error', onClose)
    })
    if (this.#req.destroyed || res.destroyed) return this.close()
    const shutdown = this.#deps.shutdown
    if (shutdown) {
      if (shutdown.aborted) return this.close()
      shutdown.addEventListener('abort', onClose, { once: true })
      this.#cleanups.push(() => shutdown.removeEventListener('abort', onClose))
    }
    // subscribe before reading the start point, so no stamp between the two is missed
    const unsubscribe = this.#deps.subscribe(() => this.#wake())
    this.#cleanups.push(unsubscribe)
    const pingMs = this.#deps.pingMs ?? 30_000
    const ping = setInterval(() => this.#write(frame('ping', {})), pingMs)
    this.#cleanups.push(() => clearInterval(ping))
    this.#write(`retry: 3000\n\n${frame('ping', {})}`)

    try {
      let afterId: number
      if (lastEventId === undefined) {
        afterId = (await this.#deps.latestId()) ?? 0
      } else {
        afterId = lastEventId
        const oldest = await this.#deps.oldestId()
        if (oldest !== null && lastEventId + 1 < oldest) {
          this.#write(frame('resync', { oldest_id: oldest }))
          afterId = oldest - 1
        }
      }
      void this.#pump(filters, afterId)
    } catch (e) {
      this.#fail(e)
    }
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    for (const c of this.#cleanups.splice(0)) c()
    this.#wakeUp?.()
    if (!this.#res.writableEnded) this.#res.end()
  }

  /** A client too slow to read: drop what it has not read; it resumes with Last-Event-ID. */
  #cutOff(): void {
    this.close()
    this.#res.destroy()
  }

  #fail(e: unknown): void {
    this.#logger.warn({ err: coerceError(e) }, 'event stream failed; closing it')
    this.close()
  }

  #wake(): void {
    this.#pending = true
    this.#wakeUp?.()
  }

  #write(text: string): void {
    if (this.#closed) return
    this.#res.write(text)
    const max = this.#deps.maxBufferedBytes ?? 1024 * 1024
    if (this.#res.writableLength > max) this.#cutOff()
  }

  async #pump(filters: EventStreamFilters, afterId: number): Promise<void> {
    let last = afterId
    try {
      while (!this.#closed) {
        this.#pending = false
        const rows = await this.#deps.listAfter(last, filters, PAGE)
        for (const e of rows) {
          if (this.#closed) return
          if (e.id <= last) continue
          this.#write(frame(e.type, { ...e.data, ts: e.at.toISOString() }, e.id))
          last = e.id
        }
        if (this.#closed) return
        if (this.#res.writableNeedDrain && !(await this.#drained())) {
          this.#cutOff()
          return
        }
        if (rows.length === PAGE) continue
        if (!this.#pending) await new Promise<void>((r) => (this.#wakeUp = r))
        this.#wakeUp = null
      }
    } catch (e) {
      this.#fail(e)
    }
  }

  /** Waits for the client to read what was written; false after `slowClientMs` or on close. */
  #drained(): Promise<boolean> {
    const ms = this.#deps.slowClientMs ?? 10_000
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer)
        this.#res.off('drain', onDrain)
        this.#res.off('close', onClose)
        resolve(ok && !this.#closed)
      }
      const onDrain = () => done(true)
      const onClose = () => done(false)
      const timer = setTimeout(() => done(false), ms)
      this.#res.on('drain', onDrain)
      this.#res.on('close', onClose)
    })
  }
}
