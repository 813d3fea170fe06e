/**
 * The bench's HTTP client: JSON over node:http with a keep-alive agent. It runs in the process
 * that serves, so its own cost counts against the server: the global fetch took 0.3–0.5 ms a
 * call at the median (up to 5 ms at p99) where this takes about 0.1 ms.
 */
import { Agent, request } from 'node:http'

export interface JsonReply {
  readonly status: number
  readonly body: unknown
}

export interface JsonClient {
  post(path: string, body: unknown): Promise<JsonReply>
  get(path: string): Promise<JsonReply>
  close(): void
}

export function createJsonClient(base: string): JsonClient {
  const url = new URL(base)
  const agent = new Agent({ keepAlive: true })
  const send = (method: 'GET' | 'POST', path: string, body?: unknown) =>
    new Promise<JsonReply>((resolve, reject) => {
      const payload = body === undefined ? null : Buffer.from(JSON.stringify(body))
      const req = request(
        {
          hostname: url.hostname,
          port: url.port,
          path,
          method,
          agent,
          headers: payload
            ? { 'content-type': 'application/json', 'content-length': String(payload.length) }
            : {},
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            resolve({ status: res.statusCode ?? 0, body: text === '' ? null : JSON.parse(text) })
          })
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      req.end(payload ?? undefined)
    })
  return {
    post: (path, body) => send('POST', path, body),
    get: (path) => send('GET', path),
    close: () => agent.destroy(),
  }
}
