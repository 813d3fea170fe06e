/**
 * Follows a job's log over the WebSocket stream (API.md §6.3) until the end marker, resuming
 * with `after_seq` after a close that allows it (a server restart, a slow client).
 */
import { WebSocket } from 'ws'
import type { RawData } from 'ws'
import { apiErrorOf, type ApiClient } from './api-client.ts'
import { parseRecord } from './output-format.ts'

/** Close codes after which the stream may be resumed with after_seq (API.md §6.3). */
const RESUMABLE = new Set([1001, 1006, 1011, 1013])
const MAX_RETRIES = 3

export interface StreamEnd {
  readonly status: string
  readonly lastSeq: number
}

export interface FollowOptions {
  readonly client: ApiClient
  readonly jobId: string
  readonly afterSeq?: number
  readonly step?: string
  /** Each log record as the server sent it (one JSON object), in seq order. */
  readonly onLine: (text: string) => void
  /** Stops following: the socket is closed and the promise resolves with null. */
  readonly signal?: AbortSignal
}

/**
 * Resolves with the job's end (status and last seq), or null once `signal` aborts. Rejects with
 * an ApiError when the server refuses the stream (unknown job, credentials), or an Error when
 * it keeps closing without progress.
 */
export async function followJobLog(o: FollowOptions): Promise<StreamEnd | null> {
  let afterSeq = o.afterSeq ?? 0
  let retries = 0
  for (;;) {
    const before = afterSeq
    const outcome = await streamOnce(o, afterSeq, (seq) => (afterSeq = seq))
    if (outcome === 'aborted') return null
    if ('end' in outcome) return outcome.end
    if ('refused' in outcome) throw outcome.refused
    if (!RESUMABLE.has(outcome.code)) throw new Error(`log stream closed: ${outcome.reason}`)
    retries = afterSeq > before ? 0 : retries + 1
    if (retries > MAX_RETRIES) throw new Error(`log stream closed (${outcome.code}), giving up`)
    if (!(await pause(500 * 2 ** Math.min(retries, 4), o.signal))) return null
  }
}

/** Waits `ms`; false when the signal aborted first. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false)
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      resolve(ok)
    }
    const onAbort = () => done(false)
    const timer = setTimeout(() => done(true), ms)
    signal?.addEventListener('abort', onAbort)
  })
}

type StreamOutcome =
  | 'aborted'
  | { readonly end: StreamEnd }
  | { readonly refused: Error }
  | { readonly code: number; readonly reason: string }

/** One WebSocket session: hands out lines, reports the last seq seen, settles when it closes. */
function streamOnce(
  o: FollowOptions,
  afterSeq: number,
  onSeq: (seq: number) => void,
): Promise<StreamOutcome> {
  const url = o.client.socketUrl(`/api/jobs/${encodeURIComponent(o.jobId)}/logs/stream`, {
    after_seq: afterSeq,
    step: o.step,
  })
  return new Promise((resolve) => {
    if (o.signal?.aborted) return resolve('aborted')
    const ws = new WebSocket(url, { headers: o.client.headers() })
    let end: StreamEnd | undefined
    let settled = false
    const settle = (outcome: StreamOutcome) => {
      if (settled) return
      settled = true
      o.signal?.removeEventListener('abort', onAbort)
      resolve(outcome)
    }
    const onAbort = () => {
      ws.terminate()
      settle('aborted')
    }
    o.signal?.addEventListener('abort', onAbort)
    ws.on('message', (data) => {
      const text = rawText(data)
      const msg = parseRecord(text)
      if (msg?.type === 'end') {
        end = { status: String(msg.status), lastSeq: Number(msg.last_seq) }
      } else if (msg?.type === undefined) {
        o.onLine(text)
        if (typeof msg?.seq === 'number') onSeq(msg.seq)
      }
    })
    ws.on('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => {
        settle({
          refused: apiErrorOf(
            { status: res.statusCode ?? 0, statusText: res.statusMessage },
            parseRecord(body),
            body,
          ),
        })
        ws.terminate()
      })
    })
    ws.on('error', (e) => settle(end ? { end } : { code: 1006, reason: e.message }))
    ws.on('close', (code, reason) =>
      settle(end ? { end } : { code, reason: reason.toString() || `closed (${code})` }),
    )
  })
}

function rawText(d: RawData): string {
  if (Array.isArray(d)) return Buffer.concat(d).toString('utf8')
  return Buffer.isBuffer(d) ? d.toString('utf8') : Buffer.from(d).toString('utf8')
}
