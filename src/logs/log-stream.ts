/**
 * One client's log stream (API.md §6.3): stored lines, then live ones, then the end marker.
 *
 * Invariant: each matching seq above `after_seq` is sent exactly once, in increasing order. The
 * session subscribes to the hub before it reads the store and buffers live records meanwhile. The
 * store publishes a record only after its line is written and counted in `lastSeq`, so every record
 * with a seq above the read's `lastSeq` reaches the buffer; `lastSeen` then drops what the read
 * already covered. A filtered-out record still advances `lastSeen`, so the end condition
 * (`lastSeen >= last_seq`) holds with a `step` filter too.
 */
import type { WebSocket } from 'ws'
import { coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import { TERMINAL_JOB_STATUSES } from '../shared/statuses.ts'
import type { JobStatus } from '../shared/statuses.ts'
import type { LogEndInfo, LogHub } from './log-hub.ts'
import type { LogRecord } from './log-record.ts'
import { endMarker } from './log-record.ts'
import type { ReadOptions, ReadResult } from './log-store.ts'

export interface JobLogState {
  readonly status: string
  readonly logLastSeq: number | null
}

export interface StreamDeps {
  readonly hub: LogHub
  readonly read: (jobId: string, opts: ReadOptions) => Promise<ReadResult>
  /** undefined for an unknown job */
  readonly getJob: (jobId: string) => Promise<JobLogState | undefined>
  readonly logger: Logger
}

export interface StreamRequest {
  readonly jobId: string
  readonly afterSeq: number
  readonly step: string | undefined
}

export interface Limits {
  readonly messages: number
  readonly bytes: number
  readonly endGraceMs: number
}

function isTerminal(status: string): boolean {
  return TERMINAL_JOB_STATUSES.has(status as JobStatus)
}

/** One client's stream; see the module comment for the ordering argument. */
export class LogStream {
  readonly ws: WebSocket
  missedPongs = 0
  readonly #deps: StreamDeps
  readonly #req: StreamRequest
  readonly #limits: Limits
  #lastSeen: number
  #syncing = true
  #buffer: LogRecord[] = []
  #bufferDropped = false
  #end: LogEndInfo | null = null
  #fallback: { status: string; due: boolean; timer: NodeJS.Timeout } | null = null
  #unsubscribe: () => void = () => undefined
  #closed = false
  #queued = 0
  #queuedBytes = 0
  #drained: (() => void) | null = null

  constructor(ws: WebSocket, deps: StreamDeps, req: StreamRequest, limits: Limits) {
    this.ws = ws
    this.#deps = deps
    this.#req = req
    this.#limits = limits
    this.#lastSeen = req.afterSeq
  }

  start(): void {
    this.#unsubscribe = this.#deps.hub.subscribe(this.#req.jobId, {
      onLines: (records) => this.#onLive(records),
      onEnd: (info) => {
        this.#end ??= info
        this.#maybeEnd()
      },
    })
    this.#sync(true).catch((e: unknown) => this.#fail(e))
  }

  /** Stops sending and unsubscribes; the socket close is the caller's. */
  stop(): void {
    this.#closed = true
    this.#unsubscribe()
    this.#buffer = []
    if (this.#fallback) clearTimeout(this.#fallback.timer)
    this.#wake()
  }

  #wake(): void {
    const drained = this.#drained
    this.#drained = null
    drained?.()
  }

  async #sync(first: boolean): Promise<void> {
    // Subscribed already: a job that ended before the subscription has log_last_seq stored by now.
    if (first && !(await this.#checkJob())) return
    do {
      this.#bufferDropped = false
      const { jobId, step } = this.#req
      const { lines, lastSeq } = await this.#deps.read(jobId, { afterSeq: this.#lastSeen, step })
      if (!(await this.#sendPaced(lines))) return
      this.#lastSeen = Math.max(this.#lastSeen, lastSeq)
    } while (this.#bufferDropped)
    this.#syncing = false
    const buffered = this.#buffer
    this.#buffer = []
    this.#forward(buffered)
    this.#maybeEnd()
  }

  /**
   * Stored lines wait for the client below half the limits, so a long backfill is not mistaken for
   * a slow client; a client that never reads is dropped by the ping check, which wakes the wait.
   */
  async #sendPaced(lines: ReadonlyArray<string>): Promise<boolean> {
    const { messages, bytes } = this.#limits
    for (const line of lines) {
      if (this.#queued * 2 >= messages || this.#queuedBytes * 2 >= bytes)
        await new Promise<void>((resolve) => (this.#drained = resolve))
      if (!this.#send(line)) return false
    }
    return !this.#closed
  }

  async #checkJob(): Promise<boolean> {
    const job = await this.#deps.getJob(this.#req.jobId)
    if (this.#closed) return false
    if (!job) {
      this.#finish(1011, 'job not found')
      return false
    }
    if (isTerminal(job.status)) {
      if (job.logLastSeq !== null) this.#end ??= { status: job.status, lastSeq: job.logLastSeq }
      else this.#armFallback(job.status)
    }
    return true
  }

  #armFallback(status: string): void {
    const timer = setTimeout(() => {
      if (this.#fallback) this.#fallback.due = true
      this.#maybeEnd()
    }, this.#limits.endGraceMs)
    timer.unref()
    this.#fallback = { status, due: false, timer }
  }

  #onLive(records: ReadonlyArray<LogRecord>): void {
    if (this.#closed || records.length === 0) return
    if (!this.#syncing && records[0]!.seq > this.#lastSeen + 1) {
      // A gap can only come from a feed that skipped records: fill it from the store.
      this.#syncing = true
      this.#sync(false).catch((e: unknown) => this.#fail(e))
    }
    if (this.#syncing) {
      this.#buffer.push(...records)
      if (this.#buffer.length > this.#limits.messages) {
        // The next read covers what is dropped here, so memory stays bounded.
        this.#buffer = []
        this.#bufferDropped = true
      }
      return
    }
    this.#forward(records)
    this.#maybeEnd()
  }

  #forward(records: ReadonlyArray<LogRecord>): void {
    const step = this.#req.step
    for (const r of records) {
      if (r.seq <= this.#lastSeen) continue
      this.#lastSeen = r.seq
      if ((step === undefined || r.step === step) && !this.#send(r.json)) return
    }
  }

  #maybeEnd(): void {
    if (this.#closed || this.#syncing) return
    if (!this.#end && this.#fallback?.due)
      this.#end = { status: this.#fallback.status, lastSeq: this.#lastSeen }
    const end = this.#end
    if (!end || this.#lastSeen < end.lastSeq) return
    if (this.#send(endMarker(this.#req.jobId, end.status, end.lastSeq)))
      this.#finish(1000, end.status)
  }

  /** Sends one text message; false when the client is closed or was just closed as too slow. */
  #send(text: string): boolean {
    if (this.#closed) return false
    const bytes = Buffer.byteLength(text)
    this.#queued += 1
    this.#queuedBytes += bytes
    this.ws.send(text, () => {
      this.#queued -= 1
      this.#queuedBytes -= bytes
      if (this.#queued * 2 < this.#limits.messages && this.#queuedBytes * 2 < this.#limits.bytes)
        this.#wake()
    })
    if (this.#queued <= this.#limits.messages && this.#queuedBytes <= this.#limits.bytes)
      return true
    this.#deps.logger.info(
      { jobId: this.#req.jobId, queued: this.#queued, queuedBytes: this.#queuedBytes },
      'closing a log stream whose client reads too slowly',
    )
    this.#finish(1013, 'client too slow')
    return false
  }

  #fail(e: unknown): void {
    if (this.#closed) return
    this.#deps.logger.error({ err: coerceError(e), jobId: this.#req.jobId }, 'log stream failed')
    this.#finish(1011, 'internal error')
  }

  #finish(code: number, reason: string): void {
    if (this.#closed) return
    this.stop()
    this.ws.close(code, reason)
  }
}
