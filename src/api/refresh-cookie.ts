/**
 * The browser's refresh token (STROEM-REFERENCE.md §3.1): an `HttpOnly; SameSite=Strict` cookie
 * scoped to `/api/auth`, so page scripts never hold a long-lived credential and only the refresh
 * and logout calls carry it. API clients keep using the body token; a token sent in the body
 * wins over the cookie.
 */
import type { Context } from 'koa'

export const REFRESH_COOKIE = 'weir_refresh'
const COOKIE_PATH = '/api/auth'

export function setRefreshCookie(ctx: Context, token: string, maxAgeSecs: number): void {
  ctx.cookies.set(REFRESH_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    path: COOKIE_PATH,
    maxAge: maxAgeSecs * 1000,
    // Koa refuses a Secure cookie on plain HTTP; behind TLS it is always Secure.
    secure: ctx.secure,
    overwrite: true,
  })
}

export function clearRefreshCookie(ctx: Context): void {
  ctx.cookies.set(REFRESH_COOKIE, '', {
    httpOnly: true,
    sameSite: 'strict',
    path: COOKIE_PATH,
    maxAge: 0,
    expires: new Date(0),
    secure: ctx.secure,
    overwrite: true,
  })
}

export function refreshCookieOf(ctx: Context): string | undefined {
  const value = ctx.cookies.get(REFRESH_COOKIE)
  return value === undefined || value === '' ? undefined : value
}
