/**
 * JSON over fetch, with the API's error envelope turned into ApiError (status, code, field) and
 * one transparent refresh of the access token on a 401.
 */
import { accessToken, authRequired, refreshAccess, signedOut } from './session.ts'

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly field: string | null
  constructor(status: number, code: string, message: string, field: string | null) {
    super(message)
    this.status = status
    this.code = code
    this.field = field
  }
}

export interface ApiResponse<T> {
  readonly data: T
  readonly headers: Headers
}

type Query = Record<string, string | number | boolean | undefined | null>

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v))
  const qs = params.toString()
  return qs === '' ? path : `${path}?${qs}`
}

async function send(method: string, path: string, body: unknown): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  const token = accessToken()
  if (token) headers.Authorization = `Bearer ${token}`
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  return fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  })
}

export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResponse<T>> {
  let res = await send(method, path, body)
  if (res.status === 401 && authRequired()) {
    if (await refreshAccess()) res = await send(method, path, body)
    if (res.status === 401) signedOut('your session ended: sign in again')
  }
  const text = await res.text()
  const data = text === '' ? null : (JSON.parse(text) as unknown)
  if (!res.ok) {
    const err = (data ?? {}) as { error?: string; code?: string; field?: string }
    throw new ApiError(
      res.status,
      err.code ?? 'error',
      err.error ?? `${method} ${path} failed with ${res.status}`,
      err.field ?? null,
    )
  }
  return { data: data as T, headers: res.headers }
}

export async function get<T>(path: string, query?: Query): Promise<T> {
  return (await request<T>('GET', withQuery(path, query))).data
}

export async function post<T>(path: string, body?: unknown): Promise<T> {
  return (await request<T>('POST', path, body)).data
}

export const enc = encodeURIComponent
