/**
 * Counts the statements a client sends to PostgreSQL, for B7 when pg_stat_statements is not
 * loaded: a loopback TCP proxy reads the frontend protocol and counts simple queries ('Q') and
 * extended-protocol executions ('E'). Replies pass through untouched.
 */
import { connect, createServer, type Server, type Socket } from 'node:net'

const SSL_REQUEST = 80877103
const GSS_REQUEST = 80877104

export interface WireCounts {
  /** 'Q' messages: one statement each here (no client sends several in one string). */
  simpleQueries: number
  /** 'E' messages: one execution of a prepared or unnamed statement each. */
  executes: number
  /** BEGIN … COMMIT/ROLLBACK blocks (BEGIN and its end are simple queries with pg and Kysely). */
  explicitTransactions: number
  /** Statements outside such a block: each is a transaction of its own. */
  singleStatementTransactions: number
}

export function emptyCounts(): WireCounts {
  return { simpleQueries: 0, executes: 0, explicitTransactions: 0, singleStatementTransactions: 0 }
}

const TX_START = /^\s*(begin|start\s+transaction)\b/i
const TX_END = /^\s*(commit|rollback|end)\b/i

/**
 * A parser for one client → server byte stream. The first message has no type byte (startup,
 * or an SSL/GSS request followed by the startup); every later one is a type byte, a 4-byte
 * length that counts itself, and the body.
 */
export function createFrontendCounter(counts: WireCounts): (chunk: Buffer) => void {
  let buf: Buffer = Buffer.alloc(0)
  let started = false
  let inTransaction = false
  const statement = (text: string | null) => {
    if (text !== null && TX_START.test(text)) inTransaction = true
    else if (text !== null && TX_END.test(text)) {
      if (inTransaction) counts.explicitTransactions++
      inTransaction = false
    } else if (!inTransaction) counts.singleStatementTransactions++
  }
  return (chunk) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk])
    for (;;) {
      if (!started) {
        if (buf.length < 8) return
        const len = buf.readInt32BE(0)
        if (buf.length < len) return
        const code = buf.readInt32BE(4)
        if (code !== SSL_REQUEST && code !== GSS_REQUEST) started = true
        buf = buf.subarray(len)
        continue
      }
      if (buf.length < 5) return
      const len = buf.readInt32BE(1)
      if (buf.length < 1 + len) return
      const type = String.fromCharCode(buf[0]!)
      if (type === 'Q') {
        counts.simpleQueries++
        statement(buf.toString('utf8', 5, 5 + Math.min(len - 4, 64)))
      } else if (type === 'E') {
        counts.executes++
        statement(null)
      }
      buf = buf.subarray(1 + len)
    }
  }
}

export interface WireCounter {
  /** The proxy's URL: `target` with host and port replaced. */
  readonly url: string
  readonly counts: WireCounts
  reset(): void
  close(): Promise<void>
}

/** Listens on a loopback port and forwards each connection to the server of `targetUrl`. */
export async function startWireCounter(targetUrl: string): Promise<WireCounter> {
  const target = new URL(targetUrl)
  const counts = emptyCounts()
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => {
        client.destroy()
        upstream.destroy()
      })
    }
    const count = createFrontendCounter(counts)
    client.on('data', (chunk: Buffer) => {
      count(chunk)
      upstream.write(chunk)
    })
    upstream.pipe(client)
    client.on('end', () => upstream.end())
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  const url = new URL(targetUrl)
  url.hostname = '127.0.0.1'
  url.port = String(port)
  return {
    url: url.toString(),
    counts,
    reset() {
      Object.assign(counts, emptyCounts())
    },
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}
