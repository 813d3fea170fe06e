/**
 * Requests whose body is a stream of bytes (an artifact, a gzip tar of task state), read by
 * their route as it arrives: the JSON body parser leaves them alone, so nothing is buffered.
 * A route that refuses a large one before reading it all closes the connection after its answer,
 * so the rest of the body is not read only to be thrown away.
 */
import type { Context } from 'koa'

const STREAMED: ReadonlyArray<readonly [string, RegExp]> = [
  ['POST', /^\/worker\/jobs\/[^/]+\/steps\/[^/]+\/artifacts\/.+$/],
  ['POST', /^\/worker\/jobs\/[^/]+\/steps\/[^/]+\/state\/[^/]+$/],
  ['POST', /^\/api\/workspaces\/[^/]+\/tasks\/[^/]+\/state\/?$/],
  ['POST', /^\/api\/workspaces\/[^/]+\/state\/?$/],
]

export function hasStreamedBody(ctx: Context): boolean {
  return STREAMED.some(([method, re]) => method === ctx.method && re.test(ctx.path))
}

/** The announced body length, if any. */
export function declaredLength(ctx: Context): number | undefined {
  const n = ctx.request.length
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined
}

/**
 * A refused body up to this size is read to its end and dropped (Node does it once the answer is
 * sent): a client still sending it then reads the answer, where a closed connection would fail
 * its write (EPIPE) before it sees why.
 */
const DRAIN_MAX_BYTES = 16 * 1024 * 1024

/** Runs a streamed route; when it throws before a large (or unannounced) body was read to its end, the connection closes. */
export async function withStreamedBody<T>(ctx: Context, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (e) {
    const declared = declaredLength(ctx)
    const drain = declared !== undefined && declared <= DRAIN_MAX_BYTES
    if (!ctx.req.readableEnded && !drain) ctx.set('Connection', 'close')
    throw e
  }
}
