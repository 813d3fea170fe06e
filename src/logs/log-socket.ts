/**
 * The WebSocket endpoint of API.md §6.3: checks the request before upgrading (errors are plain
 * HTTP responses with the §1.4 body), then runs one LogStream per client, pings them and closes
 * them on shutdown.
 */
import { STATUS_CODES } from 'node:http'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import { coerceError } from '../shared/errors.ts'
import type { ErrorCode } from '../shared/errors.ts'
import { isUuid } from '../shared/ids.ts'
import { LogStream } from './log-stream.ts'
import type { Limits, StreamDeps, StreamRequest } from './log-stream.ts'

/** How long `close()` waits for close handshakes before terminating the sockets. */
const CLOSE_GRACE_MS = 2000

export type { JobLogState } from './log-stream.ts'

/** `hub`, `read`, `getJob` and `logger` as in StreamDeps; the rest is the endpoint's own. */
export interface LogSocketDeps extends StreamDeps {
  /** When given, a `step` other than `_server` that this returns false for gets 404. */
  readonly knownStep?: (jobId: string, step: string) => Promise<boolean>
  /** Default 30 000; a peer is dropped after two intervals without a pong. */
  readonly pingIntervalMs?: number
  /** Over 10 000 messages or 16 MiB queued for one client closes it with 1013. */
  readonly maxQueuedMessages?: number
  readonly maxQueuedBytes?: number
  /** Default 2 000: how long a terminal job without log_last_seq may still publish its end. */
  readonly missingEndGraceMs?: number
}

export interface LogSocketServer {
  /** Answers the upgrade (or an HTTP error) when the path is a log stream; false otherwise. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean
  /** Closes every stream with 1001 and refuses new ones (idempotent). */
  close(): Promise<void>
  connectionCount(): number
}

const STREAM_PATH = /^\/api\/jobs\/([^/]+)\/logs\/stream$/

type HttpRefusal = { status: number; code: ErrorCode; message: string; field?: string }

function refusal(status: number, code: ErrorCode, message: string, field?: string): HttpRefusal {
  return { status, code, message, field }
}

function writeRefusal(socket: Duplex, r: HttpRefusal, extra = ''): void {
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const body = JSON.stringify({ error: r.message, code: r.code, field: r.field })
  const head =
    `HTTP/1.1 ${r.status} ${STATUS_CODES[r.status] ?? ''}\r\n` +
    `Content-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n`
  socket.end(head + body)
}

function parseRequest(rawId: string, query: URLSearchParams): StreamRequest | HttpRefusal {
  let jobId = rawId
  try {
    jobId = decodeURIComponent(rawId)
  } catch {
    // left encoded: not a UUID either way
  }
  if (!isUuid(jobId)) return refusal(400, 'bad_request', `invalid job id '${jobId}'`)
  const seqs = query.getAll('after_seq')
  const rawSeq = seqs[seqs.length - 1]
  let afterSeq = 0
  if (rawSeq !== undefined && rawSeq !== '') {
    afterSeq = Number(rawSeq)
    if (!/^\d+$/.test(rawSeq) || !Number.isSafeInteger(afterSeq)) {
      const msg = `after_seq must be an integer >= 0, got '${rawSeq}'`
      return refusal(400, 'bad_request', msg, 'after_seq')
    }
  }
  const steps = query.getAll('step')
  const step = steps[steps.length - 1] || undefined
  return { jobId, afterSeq, step }
}

class WsLogSocketServer implements LogSocketServer {
  readonly #deps: LogSocketDeps
  readonly #limits: Limits
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 4096 })
  readonly #streams = new Set<LogStream>()
  readonly #heartbeat: NodeJS.Timeout
  #closing: Promise<void> | null = null

  constructor(deps: LogSocketDeps) {
    this.#deps = deps
    this.#limits = {
      messages: deps.maxQueuedMessages ?? 10_000,
      bytes: deps.maxQueuedBytes ?? 16 * 1024 * 1024,
      endGraceMs: deps.missingEndGraceMs ?? 2000,
    }
    this.#heartbeat = setInterval(() => this.#ping(), deps.pingIntervalMs ?? 30_000)
    this.#heartbeat.unref()
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const match = STREAM_PATH.exec(url.pathname)
    if (!match) return false
    if (req.headers.upgrade?.toLowerCase() !== 'websocket') {
      const r = refusal(426, 'upgrade_required', 'this route needs a WebSocket upgrade')
      writeRefusal(socket, r, 'Upgrade: websocket\r\n')
      return true
    }
    const parsed = parseRequest(match[1]!, url.searchParams)
    if ('status' in parsed) writeRefusal(socket, parsed)
    else this.#accept(req, socket, head, parsed).catch((e: unknown) => this.#refuse(socket, e))
    return true
  }

  connectionCount(): number {
    return this.#streams.size
  }

  close(): Promise<void> {
    this.#closing ??= this.#closeAll()
    return this.#closing
  }

  async #accept(req: IncomingMessage, socket: Duplex, head: Buffer, r: StreamRequest) {
    const onError = () => socket.destroy()
    socket.on('error', onError)
    const refused = await this.#validate(r)
    socket.off('error', onError)
    if (refused) {
      writeRefusal(socket, refused)
      return
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      if (this.#closing) {
        ws.close(1001, 'server shutting down')
        return
      }
      const stream = new LogStream(ws, this.#deps, r, this.#limits)
      this.#streams.add(stream)
      ws.on('pong', () => (stream.missedPongs = 0))
      ws.on('error', (e) => this.#deps.logger.debug({ err: e }, 'log stream socket error'))
      ws.on('close', () => {
        stream.stop()
        this.#streams.delete(stream)
      })
      stream.start()
    })
  }

  async #validate(r: StreamRequest): Promise<HttpRefusal | null> {
    if (this.#closing) return refusal(503, 'unavailable', 'the server is shutting down')
    if (!(await this.#deps.getJob(r.jobId)))
      return refusal(404, 'not_found', `job '${r.jobId}' not found`)
    const { step } = r
    if (step === undefined || step === '_server' || !this.#deps.knownStep) return null
    if (await this.#deps.knownStep(r.jobId, step)) return null
    return refusal(404, 'not_found', `step '${step}' not found in job '${r.jobId}'`)
  }

  #refuse(socket: Duplex, e: unknown): void {
    this.#deps.logger.error({ err: coerceError(e) }, 'log stream upgrade failed')
    writeRefusal(socket, refusal(500, 'internal', 'Internal server error'))
  }

  #ping(): void {
    for (const s of this.#streams) {
      s.missedPongs += 1
      if (s.missedPongs >= 2) s.ws.terminate()
      else s.ws.ping()
    }
  }

  async #closeAll(): Promise<void> {
    clearInterval(this.#heartbeat)
    const closed = [...this.#streams].map((s) => {
      s.stop()
      const done = new Promise<void>((resolve) => s.ws.once('close', () => resolve()))
      s.ws.close(1001, 'server shutting down')
      return done
    })
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)))
    await Promise.race([Promise.all(closed), late])
    clearTimeout(timer)
    for (const s of this.#streams) s.ws.terminate()
    await Promise.all(closed)
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()))
  }
}

/** A log-stream endpoint to mount on an HTTP server's `upgrade` event. */
export function createLogSocketServer(deps: LogSocketDeps): LogSocketServer {
  return new WsLogSocketServer(deps)
}
