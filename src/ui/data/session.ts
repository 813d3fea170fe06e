/**
 * Who the browser is signed in as. The access token lives in memory only; the refresh token is
 * an HttpOnly cookie the page cannot read (set by login, rotated by refresh, cleared by logout),
 * so a reload signs in again through /api/auth/refresh and no token sits in storage.
 */
import { createStore } from '../lib/store.ts'
import type { ServerConfig, UserDto } from './types.ts'

export type Session =
  | { readonly kind: 'loading' }
  | { readonly kind: 'starting'; readonly message: string }
  | { readonly kind: 'open'; readonly config: ServerConfig }
  | { readonly kind: 'signed-out'; readonly config: ServerConfig; readonly message?: string }
  | { readonly kind: 'signed-in'; readonly config: ServerConfig; readonly user: UserDto }

export const session = createStore<Session>({ kind: 'loading' })

let token: { value: string; expiresAt: number } | null = null
let refreshing: Promise<boolean> | null = null

/** Refresh a little before the access token expires, so streams connect with a valid one. */
const EARLY_MS = 30_000

export function accessToken(): string | null {
  return token?.value ?? null
}

export function authRequired(): boolean {
  const s = session.get()
  return s.kind === 'signed-in' || s.kind === 'signed-out'
}

interface Grant {
  access_token: string
  expires_in: number
}

function keep(grant: Grant): void {
  token = { value: grant.access_token, expiresAt: Date.now() + grant.expires_in * 1000 }
}

async function me(config: ServerConfig): Promise<void> {
  const res = await fetch('/api/auth/me', { headers: { Authorization: `Bearer ${token?.value}` } })
  if (!res.ok) {
    token = null
    session.set({ kind: 'signed-out', config })
    return
  }
  session.set({ kind: 'signed-in', config, user: (await res.json()) as UserDto })
}

/** Trades the refresh cookie for a new access token; false when there is no valid session. */
export function refreshAccess(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      const res = await fetch('/api/auth/refresh', { method: 'POST', credentials: 'same-origin' })
      if (!res.ok) {
        token = null
        return false
      }
      keep((await res.json()) as Grant)
      return true
    } catch {
      return false
    } finally {
      refreshing = null
    }
  })()
  return refreshing
}

/** A token valid for a while yet (for WebSocket and EventSource URLs), or null without auth. */
export async function freshToken(): Promise<string | null> {
  if (!authRequired()) return null
  if (token && token.expiresAt - Date.now() > EARLY_MS) return token.value
  return (await refreshAccess()) ? accessToken() : null
}

/** Called when a request was refused with 401 after a refresh attempt. */
export function signedOut(message?: string): void {
  const s = session.get()
  token = null
  if (s.kind === 'signed-in' || s.kind === 'signed-out')
    session.set({ kind: 'signed-out', config: s.config, message })
}

/** Reads /api/config, then resumes the session from the refresh cookie when auth is on. */
export async function boot(): Promise<void> {
  let res: Response
  try {
    res = await fetch('/api/config')
  } catch {
    session.set({ kind: 'starting', message: 'cannot reach the server; retrying' })
    setTimeout(() => void boot(), 2000)
    return
  }
  if (res.status === 503) {
    const body = (await res.json().catch(() => ({}))) as { error?: string }
    session.set({ kind: 'starting', message: body.error ?? 'starting' })
    const after = Number(res.headers.get('Retry-After') ?? '2')
    setTimeout(() => void boot(), Math.max(0.5, Math.min(after, 10)) * 1000)
    return
  }
  const config = (await res.json()) as ServerConfig
  if (!config.auth_required) {
    session.set({ kind: 'open', config })
    return
  }
  if (await refreshAccess()) await me(config)
  else session.set({ kind: 'signed-out', config })
}

export async function login(email: string, password: string): Promise<string | null> {
  const s = session.get()
  if (s.kind !== 'signed-out') return null
  const res = await fetch('/api/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    credentials: 'same-origin',
    body: JSON.stringify({ email, password }),
  })
  const body = (await res.json().catch(() => ({}))) as Grant & { error?: string }
  if (!res.ok) return body.error ?? `login failed (${res.status})`
  // The body's refresh token is for API clients: the browser keeps only the cookie.
  keep(body)
  await me(s.config)
  return null
}

export async function logout(): Promise<void> {
  const current = await freshToken()
  await fetch('/api/auth/logout', {
    method: 'POST',
    credentials: 'same-origin',
    headers: current ? { Authorization: `Bearer ${current}` } : {},
  }).catch(() => undefined)
  signedOut()
}
