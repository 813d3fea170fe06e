/**
 * JSON over HTTP for the `/worker/*` routes with the global fetch: one POST, its status and
 * parsed body, or `status: null` when no answer came (refused, reset, timed out, aborted). The
 * callers decide what a missing answer means; nothing here retries.
 */
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
}

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
