/**
 * The node HTTP server of `weir serve`, with its readiness gate. It listens before the services
 * exist (the embedded database takes seconds to open): until `open()` hands it the API, every
 * request but /healthz and /readyz answers 503 `starting: …` with Retry-After, and WebSocket
 * upgrades get the same 503. Routes therefore always receive real services. The web UI's files
 * are served throughout.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import Koa from 'koa'
import { coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'

/** What the WebSocket side does with an upgrade once the API is open. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => Promise<void>

export interface HttpServer {
  /** Starts listening on `host:port`; resolves with the bound address. */
  listen(listen: string): Promise<AddressInfo>
  /** From now on requests reach `api`, and upgrades `upgrade`. */
  open(api: Koa, upgrade: UpgradeHandler): void
  /** Requests and upgrades are refused again (`stopping: …`), for a graceful stop. */
  gate(reason: string): void
  /** Stops accepting connections, lets in-flight requests finish, closes idle keep-alives. */
  close(): Promise<void>
}

/** Retry-After on a gated answer, in seconds. */
const RETRY_AFTER_SECS = 2

export function createHttpServer(d: {
  readonly logger: Logger
  /** Answers /healthz and /readyz while gated (the readiness report says why it is not ready). */
  readonly health: Koa.Middleware
  /** Serves the web UI while gated too, so a browser gets the page and can show "starting". */
  readonly ui?: Koa.Middleware
}): HttpServer {
  const { logger } = d
  let reason = 'starting: opening the database'
  const gated = new Koa({ proxy: false })
  gated.silent = true
  gated.use(d.health)
  if (d.ui) gated.use(d.ui)
  gated.use((ctx) => {
    if (ctx.body !== undefined) return
    ctx.status = 503
    ctx.set('Retry-After', String(RETRY_AFTER_SECS))
    ctx.body = { error: reason, code: 'unavailable' }
  })
  const gatedHandler = gated.callback()
  let handler = gatedHandler
  let upgrade: UpgradeHandler | null = null
  let server: Server | null = null

  return {
    async listen(listen) {
      const srv = createServer((req, res) => void handler(req, res))
      server = srv
      srv.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        if (!upgrade) {
          rejectUpgrade(socket, 503, 'unavailable', reason)
          return
        }
        upgrade(req, socket, head).catch((err: unknown) => {
          logger.error({ err: coerceError(err) }, 'upgrade failed')
          rejectUpgrade(socket, 500, 'internal', 'Internal server error')
        })
      })
      const { host, port } = parseListen(listen)
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject)
        srv.listen(port, host, () => resolve())
      })
      const address = srv.address() as AddressInfo
      logger.info({ address: address.address, port: address.port }, 'listening')
      return address
    },
    open(api, onUpgrade) {
      handler = api.callback()
      upgrade = onUpgrade
    },
    gate(why) {
      reason = why
      handler = gatedHandler
      upgrade = null
    },
    async close() {
      if (server) await closeServer(server)
    },
  }
}

/** Answers an upgrade request we do not take with a plain HTTP error in the API's envelope. */
export function rejectUpgrade(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: message, code })
  const retry = status === 503 ? `Retry-After: ${RETRY_AFTER_SECS}\r\n` : ''
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `${retry}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}

export function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':')
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '')
  return { host: host === '' ? '0.0.0.0' : host, port: Number(listen.slice(i + 1)) }
}

/** Stops accepting connections, lets in-flight requests finish, then closes idle keep-alives. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    // Keep-alive clients (remote workers heartbeat every few seconds) would hold their sockets
    // busy for the whole grace: close each one as soon as its current request is answered.
    const idle = setInterval(() => server.closeIdleConnections(), 50).unref()
    const all = setTimeout(() => server.closeAllConnections(), 5000).unref()
    server.close(() => {
      clearInterval(idle)
      clearTimeout(all)
      resolve()
    })
    server.closeIdleConnections()
  })
}
