/** A tiny server-sent events client over http.get, for tests of GET /api/events. */
import { get, type IncomingMessage } from 'node:http'
import { waitFor } from './wait-for.ts'

export interface SseEvent {
  readonly id: number | undefined
  readonly event: string
  readonly data: any
}

export interface SseClient {
  readonly status: number
  readonly headers: IncomingMessage['headers']
  /** Every event received so far (pings included), in order. */
  readonly events: SseEvent[]
  /** The `retry:` value, once received. */
  retry: number | undefined
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>
  /** Events other than pings. */
  real(): SseEvent[]
  /** Waits until `n` non-ping events arrived; returns them. */
  waitForCount(n: number, timeoutMs?: number): Promise<SseEvent[]>
  close(): void
}

/** Connects; resolves once the response head arrived (any status). */
export function connectSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers: { Accept: 'text/event-stream', ...headers } }, (res) => {
      const events: SseEvent[] = []
      let buffer = ''
      let endResolve: () => void = () => undefined
      const ended = new Promise<void>((r) => (endResolve = r))
      const client: SseClient = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        retry: undefined,
        ended,
        real: () => events.filter((e) => e.event !== 'ping'),
        async waitForCount(n, timeoutMs = 8000) {
          await waitFor(() => client.real().length >= n, {
            timeoutMs,
            what: `${n} events (have ${client.real().length})`,
          })
          return client.real()
        },
        close: () => req.destroy(),
      }
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buffer += chunk
        for (let at = buffer.indexOf('\n\n'); at >= 0; at = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, at)
          buffer = buffer.slice(at + 2)
          const parsed = parseBlock(block)
          if (parsed.retry !== undefined) client.retry = parsed.retry
          if (parsed.event) events.push(parsed.event)
        }
      })
      res.on('end', () => endResolve())
      res.on('close', () => endResolve())
      res.on('error', () => endResolve())
      resolve(client)
    })
    req.on('error', reject)
  })
}

function parseBlock(block: string): { retry?: number; event?: SseEvent } {
  let id: number | undefined
  let event = 'message'
  let data: string | undefined
  let retry: number | undefined
  for (const line of block.split('\n')) {
    const i = line.indexOf(':')
    const field = i < 0 ? line : line.slice(0, i)
    const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '')
    if (field === 'id') id = Number(value)
    else if (field === 'event') event = value
    else if (field === 'data') data = data === undefined ? value : `${data}\n${value}`
    else if (field === 'retry') retry = Number(value)
  }
  if (data === undefined) return { retry }
  return { retry, event: { id, event, data: JSON.parse(data) } }
}
