/**
 * A job's log: what is stored already in one read (GET /api/jobs/{id}/logs: a 100,000-line log
 * is one response, where the WebSocket would send 100,000 messages, each a task for the page),
 * then the WebSocket (API.md §6.3) from the last seq read: live lines, then the end marker.
 * After any drop other than the end (server restart, network), it reconnects with `after_seq` =
 * the last seq received, so every line arrives once, in order; lines at or below that seq are
 * dropped should they come twice.
 */
import { enc, get, withQuery } from './client.ts'
import { freshToken } from './session.ts'
import type { LogLine } from './types.ts'

export type LogStreamState = 'connecting' | 'live' | 'reconnecting' | 'ended'

export interface LogStreamHandlers {
  /** New lines, in seq order, in batches (one per ~100 ms while lines flow). */
  onLines(lines: LogLine[]): void
  onEnd(status: string): void
  onState(state: LogStreamState): void
}

const FLUSH_MS = 100

export function openLogStream(jobId: string, h: LogStreamHandlers): () => void {
  let lastSeq = 0
  let ended = false
  let disposed = false
  let ws: WebSocket | null = null
  let retryMs = 250
  let batch: LogLine[] = []
  let flushTimer: ReturnType<typeof setTimeout> | null = null
  let retryTimer: ReturnType<typeof setTimeout> | null = null

  const flush = () => {
    flushTimer = null
    if (batch.length === 0) return
    const lines = batch
    batch = []
    h.onLines(lines)
  }

  /** Reads the stored lines once; on failure the WebSocket's own backfill takes over. */
  const readStored = async () => {
    try {
      const stored = await get<{ logs: string }>(`/api/jobs/${enc(jobId)}/logs`)
      if (disposed) return
      const lines: LogLine[] = []
      for (const text of stored.logs.split('\n')) {
        if (text === '') continue
        const line = JSON.parse(text) as LogLine
        if (line.seq > lastSeq) {
          lines.push(line)
          lastSeq = line.seq
        }
      }
      if (lines.length > 0) h.onLines(lines)
    } catch {
      // The stream's backfill covers what this read could not.
    }
  }

  const connect = async () => {
    if (disposed) return
    if (lastSeq === 0) await readStored()
    if (disposed) return
    const token = await freshToken()
    if (disposed) return
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
    const path = withQuery(`/api/jobs/${enc(jobId)}/logs/stream`, {
      after_seq: lastSeq,
      access_token: token,
    })
    const socket = new WebSocket(`${scheme}://${location.host}${path}`)
    ws = socket
    socket.onopen = () => {
      retryMs = 250
      h.onState('live')
    }
    socket.onmessage = (ev: MessageEvent<string>) => {
      const msg = JSON.parse(ev.data) as LogLine & { type?: string; status?: string }
      if (msg.type === 'end') {
        ended = true
        flush()
        h.onEnd(msg.status ?? 'completed')
        h.onState('ended')
        return
      }
      if (msg.type !== undefined || msg.seq <= lastSeq) return
      lastSeq = msg.seq
      batch.push(msg)
      flushTimer ??= setTimeout(flush, FLUSH_MS)
    }
    socket.onclose = () => {
      if (ws !== socket) return
      ws = null
      flush()
      if (ended || disposed) return
      h.onState('reconnecting')
      retryTimer = setTimeout(() => void connect(), retryMs)
      retryMs = Math.min(retryMs * 2, 2000)
    }
  }

  h.onState('connecting')
  void connect()
  return () => {
    disposed = true
    if (flushTimer) clearTimeout(flushTimer)
    if (retryTimer) clearTimeout(retryTimer)
    const socket = ws
    ws = null
    socket?.close()
  }
}
