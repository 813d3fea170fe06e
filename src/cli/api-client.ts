/**
 * The client side of the HTTP API (API.md) for the commands that talk to a running server:
 * where the server is, the bearer token, and requests whose failures carry the server's
 * `{"error", "code", "field"}` body (API.md §1.4).
 */

export const DEFAULT_SERVER = 'http://127.0.0.1:8080'

export interface ServerSettings {
  /** Base URL without a trailing slash. */
  readonly server: string
  /** Bearer credential: an API key (`weir_…`) or an access token. */
  readonly token: string | undefined
}

/**
 * `--server` wins over WEIR_SERVER, `--token` over WEIR_TOKEN (WEIR_API_KEY, the older name,
 * last). Returns the problem as a string when the server is not an http(s) URL.
 */
export function serverSettings(
  flags: { readonly server?: string; readonly token?: string },
  env: Readonly<Record<string, string | undefined>>,
): ServerSettings | string {
  const raw = flags.server ?? nonEmpty(env.WEIR_SERVER) ?? DEFAULT_SERVER
  const from = flags.server !== undefined ? '--server' : 'WEIR_SERVER'
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return `${from} must be a URL such as ${DEFAULT_SERVER}, got '${raw}'`
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `${from} must be an http:// or https:// URL, got '${raw}'`
  }
  const token = flags.token ?? nonEmpty(env.WEIR_TOKEN) ?? nonEmpty(env.WEIR_API_KEY)
  return { server: raw.replace(/\/+$/, ''), token }
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v
}

/** A 4xx/5xx answer, with the fields of the server's error body. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string | null
  readonly field: string | null
  constructor(status: number, message: string, code: string | null, field: string | null) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.field = field
  }

  /** The error as `--json` prints it: the server's body plus the HTTP status. */
  toJSON(): Record<string, unknown> {
    return { error: this.message, code: this.code, field: this.field, status: this.status }
  }
}

/** The server could not be reached at all (refused, DNS, TLS, reset). */
export class UnreachableError extends Error {
  constructor(server: string, cause: unknown) {
    const why = causeText(cause)
    super(`cannot reach the Weir server at ${server}${why ? ` (${why})` : ''}`, { cause })
    this.name = 'UnreachableError'
  }
}

function causeText(e: unknown): string {
  if (!(e instanceof Error)) return ''
  const inner = e.cause instanceof Error ? e.cause : e
  const code = (inner as { code?: unknown }).code
  return typeof code === 'string' ? code : inner.message
}

export interface ApiResponse<T> {
  readonly status: number
  readonly body: T
  readonly headers: Headers
}

export type Query = Readonly<Record<string, string | number | undefined>>

export interface ApiClient {
  readonly settings: ServerSettings
  get<T>(path: string, query?: Query): Promise<ApiResponse<T>>
  post<T>(path: string, body?: unknown): Promise<ApiResponse<T>>
  /** A GET whose 2xx body is read by the caller as a stream (an artifact); errors as for `get`. */
  download(path: string): Promise<Response>
  /** The ws:// or wss:// URL of a path (the log stream, API.md §6.3). */
  socketUrl(path: string, query?: Query): URL
  /** Headers for requests made outside `get`/`post` (the WebSocket upgrade). */
  headers(): Record<string, string>
}

/** Path segment encoding (API.md §1.2: `ship[0]` → `ship%5B0%5D`). */
export const seg = (s: string): string => encodeURIComponent(s)

export function createApiClient(settings: ServerSettings): ApiClient {
  const headers = (): Record<string, string> =>
    settings.token ? { authorization: `Bearer ${settings.token}` } : {}
  const urlOf = (path: string, query: Query = {}): URL => {
    const url = new URL(`${settings.server}${path}`)
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, `${v}`)
    return url
  }
  const send = async <T>(method: string, path: string, query: Query, body?: unknown) => {
    let res: Response
    try {
      res = await fetch(urlOf(path, query), {
        method,
        headers: {
          ...headers(),
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    } catch (e) {
      throw new UnreachableError(settings.server, e)
    }
    const text = await res.text()
    const parsed = parseJson(text)
    if (!res.ok) throw apiErrorOf(res, parsed, text)
    return { status: res.status, body: parsed as T, headers: res.headers }
  }
  return {
    settings,
    get: (path, query = {}) => send('GET', path, query),
    post: (path, body) => send('POST', path, {}, body ?? {}),
    async download(path) {
      let res: Response
      try {
        res = await fetch(urlOf(path), { headers: headers() })
      } catch (e) {
        throw new UnreachableError(settings.server, e)
      }
      if (res.ok) return res
      const text = await res.text()
      throw apiErrorOf(res, parseJson(text), text)
    },
    socketUrl(path, query) {
      const url = urlOf(path, query)
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
      return url
    },
    headers,
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

/** An ApiError from a failed response, or from the body of a refused WebSocket upgrade. */
export function apiErrorOf(
  res: { readonly status: number; readonly statusText?: string },
  body: unknown,
  text = '',
): ApiError {
  const b = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}
  const str = (v: unknown) => (typeof v === 'string' ? v : null)
  const message =
    str(b.error) ?? (text.trim().slice(0, 200) || res.statusText || `HTTP ${res.status}`)
  return new ApiError(res.status, message, str(b.code), str(b.field))
}

// The wire shapes the commands read (API.md §4, §5), with the fields they use. Values the
// commands only print whole (inputs, outputs) stay `unknown`.

export interface WorkspaceDto {
  readonly name: string
  readonly tasks_count: number
  readonly actions_count: number
  readonly triggers_count: number
  readonly revision: string | null
  readonly error: string | null
}

export interface TaskSummaryDto {
  readonly name: string
  readonly workspace: string
  readonly has_triggers: boolean
  readonly display_name: string | null
  readonly description: string | null
}

export interface TaskDetailDto extends TaskSummaryDto {
  readonly input: Readonly<Record<string, unknown>>
}

export interface JobSummaryDto {
  readonly job_id: string
  readonly workspace: string
  readonly task_name: string
  readonly status: string
  readonly source_type: string
  readonly source_id: string | null
  readonly created_at: string
  readonly started_at: string | null
  readonly completed_at: string | null
  readonly retry_of_job_id: string | null
}

export interface StepDto {
  readonly step_name: string
  readonly action_name: string | null
  readonly status: string
  readonly started_at: string | null
  readonly completed_at: string | null
  readonly error_message: string | null
  readonly attempt: number
  readonly exit_code: number | null
  readonly approval_message?: string | null
  readonly approval_fields?: Readonly<Record<string, unknown>>
}

export interface JobDetailDto extends JobSummaryDto {
  readonly input: unknown
  readonly output: unknown
  readonly cancel_requested_at: string | null
  readonly error_message?: string | null
  readonly steps: ReadonlyArray<StepDto>
}
