/** A WebSocket client for the log stream (API.md §6.3) that records what it receives. */
import WebSocket from 'ws'
import { waitFor } from './wait-for.ts'

export interface LogLineMessage {
  readonly ts: string
  readonly stream: string
  readonly step: string
  readonly line: string
  readonly seq: number
}

export interface EndMessage {
  readonly type: 'end'
  readonly job_id: string
  readonly status: string
  readonly last_seq: number
}

export interface LogStreamClient {
  readonly lines: LogLineMessage[]
  end: EndMessage | undefined
  /** Messages after the end marker (always expected to stay 0). */
  afterEnd: number
  readonly closed: Promise<{ code: number; reason: string }>
  lastSeq(): number
  waitForLine(pred: (l: LogLineMessage) => boolean, timeoutMs?: number): Promise<LogLineMessage>
  close(): void
}

/** Opens `ws://…/api/jobs/{id}/logs/stream?after_seq=…` and resolves once it is open. */
export function openLogStream(base: string, jobId: string, afterSeq = 0): Promise<LogStreamClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${base}/api/jobs/${jobId}/logs/stream?after_seq=${afterSeq}`)
    let closedResolve: (v: { code: number; reason: string }) => void = () => undefined
    const closed = new Promise<{ code: number; reason: string }>((r) => (closedResolve = r))
    const client: LogStreamClient = {
      lines: [],
      end: undefined,
      afterEnd: 0,
      closed,
      lastSeq: () => client.lines.at(-1)?.seq ?? afterSeq,
      waitForLine: (pred, timeoutMs = 10000) =>
        waitFor(() => client.lines.find(pred), { timeoutMs, what: 'a log line' }),
      close: () => ws.close(),
    }
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as LogLineMessage | EndMessage
      if (client.end) client.afterEnd += 1
      else if ('type' in msg) client.end = msg
      else client.lines.push(msg)
    })
    ws.on('open', () => resolve(client))
    ws.on('close', (code, reason) => closedResolve({ code, reason: String(reason) }))
    ws.on('error', (e) => reject(e))
  })
}
