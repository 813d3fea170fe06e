/**
 * Whether an error means the database cannot be reached right now (stopped, restarting, network
 * cut, connection dropped, embedded instance closed) rather than that a statement is wrong: the
 * API answers the first with a retryable 503 `unavailable`, never a 500. Driver-neutral: it reads
 * what pg, PGlite, Kysely and Node's sockets put on the error (`code`, `message`), and follows
 * `cause` and AggregateError's `errors` (a host name resolving to several addresses).
 */

/** SQLSTATEs of a server that is going away or not taking connections. */
const SQLSTATES: ReadonlySet<string> = new Set([
  '57P01', // admin_shutdown: terminating connection due to administrator command
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: the database system is starting up / shutting down
  '53300', // too_many_connections
  '3D000', // invalid_catalog_name: the database is gone (dropped)
])

/** Class 08 is "connection exception" (08000, 08003, 08006, 08001, 08004, …). */
const SQLSTATE_CLASS = '08'

/** Node socket errors of a peer that cannot be reached or went away. */
const SOCKET_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
])

/** Messages of pg, pg-pool, Kysely and PGlite that carry no code. */
const MESSAGES: ReadonlyArray<RegExp> = [
  /^Connection terminated/, // pg: "… unexpectedly", "… due to connection timeout"
  /^timeout exceeded when trying to connect/, // pg-pool
  /Client has encountered a connection error and is not queryable/, // pg
  /^Client was closed and is not queryable/, // pg
  /^Cannot use a pool after calling end on the pool/, // pg-pool
  /^driver has already been destroyed/, // Kysely after destroy()
  /^PGlite is closed/, // PGlite after close()
]

function isUnavailableItself(e: object): boolean {
  const code = 'code' in e && typeof e.code === 'string' ? e.code : undefined
  if (code !== undefined) {
    if (SQLSTATES.has(code) || SOCKET_CODES.has(code)) return true
    if (code.length === 5 && code.startsWith(SQLSTATE_CLASS)) return true
  }
  const message = 'message' in e && typeof e.message === 'string' ? e.message : ''
  return MESSAGES.some((re) => re.test(message))
}

export function isDatabaseUnavailable(e: unknown): boolean {
  const seen = new Set<unknown>()
  const todo: unknown[] = [e]
  while (todo.length > 0) {
    const x = todo.pop()
    if (typeof x !== 'object' || x === null || seen.has(x)) continue
    seen.add(x)
    if (isUnavailableItself(x)) return true
    if ('cause' in x) todo.push(x.cause)
    if ('errors' in x && Array.isArray(x.errors)) todo.push(...(x.errors as unknown[]))
  }
  return false
}
