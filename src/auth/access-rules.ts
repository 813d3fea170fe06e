/**
 * Who may call what, decided from the method and path alone, before any route runs, so a new
 * route can never be left unguarded: a read (GET/HEAD/OPTIONS) needs `read`, a few named writes
 * need `operate` or `own_keys`, and every other write needs `admin` until a rule says otherwise.
 *
 * Paths are compared the way the router matches them: case-insensitively, with an optional
 * trailing slash.
 */
import type { Role } from '../shared/accounts.ts'

export const PERMISSIONS = ['read', 'operate', 'own_keys', 'self', 'admin'] as const
export type Permission = (typeof PERMISSIONS)[number]

const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  admin: new Set(PERMISSIONS),
  member: new Set(['read', 'operate', 'own_keys', 'self']),
  viewer: new Set(['read', 'self']),
}

export function roleAllows(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission)
}

/** Lowercased path with duplicate slashes collapsed and no trailing slash, for the rules below. */
export function normalizePath(path: string): string {
  let p = path.toLowerCase().replace(/\/{2,}/g, '/')
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1)
  return p
}

/** Whether a request path belongs to /api (decoding escapes first, so `/%61pi` counts too). */
export function isApiPath(path: string): boolean {
  let p = path
  try {
    p = decodeURIComponent(path)
  } catch {
    // A malformed escape: judge the raw text.
  }
  return /^\/api(\/|$)/.test(normalizePath(p))
}

/** /api routes that answer without credentials. */
const PUBLIC_API: ReadonlyArray<readonly [string, string]> = [
  ['POST', '/api/auth/login'],
  ['POST', '/api/auth/refresh'],
  ['GET', '/api/openapi.json'],
  ['GET', '/api/config'],
]

export function isPublicApiRoute(method: string, path: string): boolean {
  const p = normalizePath(path)
  const m = method === 'HEAD' ? 'GET' : method
  return PUBLIC_API.some(([pm, pp]) => pm === m && pp === p)
}

const SEGMENT = '[^/]+'
const WRITE_RULES: ReadonlyArray<readonly [string, RegExp, Permission]> = [
  ['POST', new RegExp(`^/api/workspaces/${SEGMENT}/tasks/${SEGMENT}/execute$`), 'operate'],
  ['POST', new RegExp(`^/api/workspaces/${SEGMENT}/tasks/${SEGMENT}/state$`), 'operate'],
  ['POST', new RegExp(`^/api/workspaces/${SEGMENT}/refresh$`), 'operate'],
  ['POST', new RegExp(`^/api/jobs/${SEGMENT}/(cancel|retry)$`), 'operate'],
  ['POST', new RegExp(`^/api/jobs/${SEGMENT}/steps/${SEGMENT}/approve$`), 'operate'],
  ['POST', /^\/api\/auth\/logout$/, 'self'],
  ['POST', /^\/api\/auth\/api-keys$/, 'own_keys'],
  ['DELETE', new RegExp(`^/api/auth/api-keys/${SEGMENT}$`), 'own_keys'],
]

/** Reads that are admin-only all the same. */
const ADMIN_READS: ReadonlyArray<RegExp> = [/^\/api\/users(\/|$)/, /^\/api\/audit(\/|$)/]

export function requiredPermission(method: string, path: string): Permission {
  const p = normalizePath(path)
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS')
    return ADMIN_READS.some((re) => re.test(p)) ? 'admin' : 'read'
  for (const [m, re, permission] of WRITE_RULES) if (m === method && re.test(p)) return permission
  return 'admin'
}

/**
 * Streams a browser opens with WebSocket or EventSource, and artifacts it shows or downloads
 * through a link or an image, cannot send headers, so these take the token as `?access_token=`
 * too (it is removed before anything logs the URL).
 */
export function acceptsQueryToken(method: string, path: string): boolean {
  if (method !== 'GET') return false
  const p = normalizePath(path)
  return (
    p === '/api/events' ||
    new RegExp(`^/api/jobs/${SEGMENT}/logs/stream$`).test(p) ||
    new RegExp(`^/api/jobs/${SEGMENT}/artifacts/.+$`).test(p)
  )
}
