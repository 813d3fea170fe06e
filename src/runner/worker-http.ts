/**
 * JSON over HTTP for the `/worker/*` routes with the global fetch: one POST, its status and
 * parsed body, or `status: null` when no answer came (refused, reset, timed out, aborted). The
 * callers decide what a missing answer means; nothing here retries.
 */
import { Readable } from 'node:stream'
import { coerceError } from '../shared/errors.ts'

export type HttpReply =
  | { readonly status: number; readonly body: unknown }
  | { readonly status: null; readonly body: null; readonly error: string }

export interface PostOptions {
  /** `Authorization: Bearer …` (enrollment token or worker secret). */
  readonly bearer: string
  /** `X-Lease-Token` for lease calls. */
  readonly leaseToken?: string
  readonly timeoutMs: number
  readonly signal?: AbortSignal
}

export class WorkerHttp {
  readonly #base: string
  readonly #fetch: typeof fetch

  constructor(serverUrl: string, fetchImpl: typeof fetch = fetch) {
    this.#base = serverUrl.replace(/\/+$/, '')
    this.#fetch = fetchImpl
  }

  get serverUrl(): string {
    return this.#base
  }

  async post(path: string, body: unknown, opts: PostOptions): Promise<HttpReply> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${opts.bearer}`,
      'content-type': 'application/json',
      accept: 'application/json',
    }
    if (opts.leaseToken !== undefined) headers['x-lease-token'] = opts.leaseToken
    const timeout = AbortSignal.timeout(opts.timeoutMs)
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout
    try {
      const res = await this.#fetch(`${this.#base}${path}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal,
      })
      const text = await res.text()
      return { status: res.status, body: parseBody(text) }
    } catch (e) {
      const err = coerceError(e)
      const why = timeout.aborted ? `no answer within ${opts.timeoutMs} ms` : describe(err)
      return { status: null, body: null, error: why }
    }
  }

  /**
   * A request whose body (sent) or answer (received) is a stream of bytes: an artifact or a state
   * archive. `body`, when given, is streamed with `Content-Length` if known, never buffered.
   * A 2xx answer's body is returned as a stream; any other answer is read as JSON.
   */
  async stream(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    opts: PostOptions & {
      readonly body?: AsyncIterable<Uint8Array>
      readonly contentLength?: number
      readonly contentType?: string
    },
  ): Promise<StreamReply> {
    const headers: Record<string, string> = { authorization: `Bearer ${opts.bearer}` }
    if (opts.leaseToken !== undefined) headers['x-lease-token'] = opts.leaseToken
    if (opts.body !== undefined)
      headers['content-type'] = opts.contentType ?? 'application/octet-stream'
    if (opts.contentLength !== undefined) headers['content-length'] = String(opts.contentLength)
    const timeout = AbortSignal.timeout(opts.timeoutMs)
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout
    try {
      // A streamed body needs `duplex: 'half'`, which the DOM typings of RequestInit lack.
      const init: RequestInit & { duplex?: 'half' } = { method, headers, signal }
      if (opts.body !== undefined) {
        init.body = Readable.from(opts.body)
        init.duplex = 'half'
        // Unless redirect is 'error', fetch (undici 6, Node 20) sends a clone of the request whose
        // body is a tee of this one, and the branch nobody reads keeps every byte until the
        // request ends: a 400 MiB upload grew the worker's RSS by about 430 MB (about 45 MB with
        // 'error'). A stream cannot be sent twice anyway, and the worker protocol never redirects.
        init.redirect = 'error'
      }
      const res = await this.#fetch(`${this.#base}${path}`, init)
      if (res.status >= 200 && res.status < 300 && res.body) {
        return { status: res.status, body: null, stream: Readable.fromWeb(res.body as never) }
      }
      return { status: res.status, body: parseBody(await res.text()), stream: null }
    } catch (e) {
      const err = coerceError(e)
      const why = timeout.aborted ? `no answer within ${opts.timeoutMs} ms` : describe(err)
      return { status: null, body: null, stream: null, error: why }
    }
  }
}

export type StreamReply =
  | { readonly status: number; readonly body: unknown; readonly stream: Readable | null }
  | { readonly status: null; readonly body: null; readonly stream: null; readonly error: string }

function parseBody(text: string): unknown {
  if (text === '') return null
  try {
    return JSON.parse(text) as unknown
  } catch {
    return { error: text.slice(0, 200) }
  }
}

/** fetch wraps the socket error in `cause`; its code (ECONNREFUSED, …) is what an operator needs. */
function describe(err: Error): string {
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined
  if (cause && typeof cause.code === 'string') return `${err.message} (${cause.code})`
  if (cause && typeof cause.message === 'string') return `${err.message}: ${cause.message}`
  return err.message
}

/** The path of a lease call: `/worker/jobs/{job_id}/steps/{step}/{call}`. */
export function stepCallPath(jobId: string, stepName: string, call: string): string {
  return `/worker/jobs/${encodeURIComponent(jobId)}/steps/${encodeURIComponent(stepName)}/${call}`
}
