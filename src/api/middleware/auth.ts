/**
 * Authentication and role checks for everything under /api (API.md §12), mounted before the
 * router so no route can be forgotten; `upgradeRefusal` applies the same rules to WebSocket
 * upgrades, which never reach Koa. /hooks, /worker and the operations routes are not touched:
 * they have credentials of their own.
 */
import type { IncomingMessage } from 'node:http'
import type { Context, Next } from 'koa'
import {
  acceptsQueryToken,
  isApiPath,
  isPublicApiRoute,
  requiredPermission,
  roleAllows,
} from '../../auth/access-rules.ts'
import type { AuthApi } from '../../auth/create-auth.ts'
import { parseAuthorization } from '../../auth/credentials.ts'
import type { Principal } from '../../shared/accounts.ts'
import {
  ForbiddenError,
  isAppError,
  UnauthorizedError,
  type ErrorCode,
} from '../../shared/errors.ts'

const QUERY_TOKEN = 'access_token'

/** The authenticated user of a request, when auth is on. */
export function principalOf(ctx: Context): Principal | undefined {
  return (ctx.state as { principal?: Principal }).principal
}

/** Finds the bearer credential: the header, else `?access_token=` where streams allow it. */
function credentialOf(
  header: string | undefined,
  query: URLSearchParams,
  method: string,
  path: string,
): string {
  const bearer = parseAuthorization(header)
  if (bearer.kind === 'malformed') throw new UnauthorizedError(bearer.reason)
  if (bearer.kind === 'token') return bearer.token
  const fromQuery = acceptsQueryToken(method, path) ? query.get(QUERY_TOKEN) : null
  if (fromQuery) return fromQuery
  throw new UnauthorizedError(
    'authentication required: send Authorization: Bearer <access token or API key>',
  )
}

async function authorize(
  auth: AuthApi,
  req: { method: string; path: string; header: string | undefined; query: URLSearchParams },
): Promise<Principal> {
  const credential = credentialOf(req.header, req.query, req.method, req.path)
  const principal = await auth.authenticate(credential)
  const needed = requiredPermission(req.method, req.path)
  if (!roleAllows(principal.role, needed)) {
    throw new ForbiddenError(
      needed === 'admin'
        ? `${req.method} ${req.path} is admin-only (your role: ${principal.role})`
        : `role '${principal.role}' may not ${req.method} ${req.path}`,
    )
  }
  return principal
}

/** Removes `access_token` from a query string, so no log or handler ever sees it. */
function withoutQueryToken(search: string): string {
  const params = new URLSearchParams(search)
  if (!params.has(QUERY_TOKEN)) return search.replace(/^\?/, '')
  params.delete(QUERY_TOKEN)
  return params.toString()
}

export function authMiddleware(auth: AuthApi) {
  return async function authenticateApi(ctx: Context, next: Next): Promise<void> {
    if (!isApiPath(ctx.path)) {
      await next()
      return
    }
    const query = new URLSearchParams(ctx.querystring)
    if (query.has(QUERY_TOKEN)) ctx.querystring = withoutQueryToken(ctx.querystring)
    if (isPublicApiRoute(ctx.method, ctx.path)) {
      await next()
      return
    }
    try {
      const principal = await authorize(auth, {
        method: ctx.method,
        path: ctx.path,
        header: ctx.get('Authorization') || undefined,
        query,
      })
      ;(ctx.state as { principal?: Principal }).principal = principal
    } catch (e) {
      if (isAppError(e) && e.code === 'unauthorized')
        ctx.set('WWW-Authenticate', 'Bearer realm="weir"')
      throw e
    }
    await next()
  }
}

export interface UpgradeRefusal {
  readonly status: number
  readonly code: ErrorCode
  readonly message: string
}

/**
 * Checks an upgrade request under /api like the middleware checks HTTP ones. Returns null when
 * it may proceed (and strips `access_token` from `req.url`), else the refusal to send; throws
 * only on unexpected failures.
 */
export async function upgradeRefusal(
  auth: AuthApi | null,
  req: IncomingMessage,
): Promise<UpgradeRefusal | null> {
  const url = new URL(req.url ?? '/', 'http://localhost')
  if (url.searchParams.has(QUERY_TOKEN)) {
    const rest = withoutQueryToken(url.search)
    req.url = `${url.pathname}${rest === '' ? '' : `?${rest}`}`
  }
  if (!auth || !isApiPath(url.pathname)) return null
  try {
    await authorize(auth, {
      method: req.method ?? 'GET',
      path: url.pathname,
      header: req.headers.authorization,
      query: url.searchParams,
    })
    return null
  } catch (e) {
    if (isAppError(e) && e.expose) return { status: e.status, code: e.code, message: e.message }
    throw e
  }
}
