/**
 * /api/auth (API.md §12): login, refresh, logout, the current user and self-service API keys.
 * Without an `auth` section these answer 404: there is nothing to log in to. Login and refresh
 * also set the browser's refresh cookie (refresh-cookie.ts), refresh accepts it, logout clears it.
 */
import type Router from '@koa/router'
import type { Context } from 'koa'
import { z } from 'zod'
import type { AuthApi } from '../../auth/create-auth.ts'
import { isApiKeyPrefix, MAX_API_KEY_DAYS } from '../../auth/credentials.ts'
import { MAX_PASSWORD_LENGTH } from '../../auth/password.ts'
import type { Principal } from '../../shared/accounts.ts'
import {
  BadRequestError,
  isAppError,
  NotFoundError,
  type TooManyRequestsError,
  UnauthorizedError,
  ValidationError,
} from '../../shared/errors.ts'
import { toApiKeyDto, toUserDto } from '../account-dto.ts'
import type { ApiDeps } from '../api-deps.ts'
import { principalOf } from '../middleware/auth.ts'
import { bodyOf } from '../middleware/json-body.ts'
import { clearRefreshCookie, refreshCookieOf, setRefreshCookie } from '../refresh-cookie.ts'
import { intBetween, parseBody } from '../zod-issues.ts'

/** No length rules beyond the caps: a wrong password is a 401, not a hint about the policy. */
export const loginBodySchema = z.strictObject({
  email: z.string().max(320),
  password: z.string().max(MAX_PASSWORD_LENGTH),
})

const refreshToken = z.string().max(200)

/** Without a body token the refresh cookie is used; with neither the call is a 400. */
export const refreshBodySchema = z.strictObject({ refresh_token: refreshToken.optional() })

/** Without a refresh token, logout ends the caller's own session. */
export const logoutBodySchema = z.strictObject({ refresh_token: refreshToken.optional() })

export const createApiKeyBodySchema = z.strictObject({
  name: z.string().min(1).max(200),
  expires_in_days: intBetween(1, MAX_API_KEY_DAYS).optional(),
})

function enabled(deps: ApiDeps): AuthApi {
  if (!deps.auth)
    throw new NotFoundError(
      'authentication is not configured on this server (add an auth section to server-config.yaml)',
    )
  return deps.auth
}

function caller(ctx: Context): Principal {
  const p = principalOf(ctx)
  if (!p) throw new UnauthorizedError('authentication required')
  return p
}

export function authRoutes(router: Router, deps: ApiDeps): void {
  router.post('/api/auth/login', async (ctx) => {
    const auth = enabled(deps)
    const body = parseBody(loginBodySchema, bodyOf(ctx))
    try {
      const grant = await auth.login({
        email: body.email,
        password: body.password,
        address: ctx.ip,
      })
      setRefreshCookie(ctx, grant.refresh_token, auth.refreshTokenTtlSecs)
      ctx.body = grant
    } catch (e) {
      if (isAppError(e) && e.code === 'too_many_requests')
        ctx.set('Retry-After', String((e as TooManyRequestsError).retryAfterSecs))
      throw e
    }
    ctx.set('Cache-Control', 'no-store')
  })

  router.post('/api/auth/refresh', async (ctx) => {
    const auth = enabled(deps)
    const body = parseBody(refreshBodySchema, bodyOf(ctx))
    const fromCookie = body.refresh_token === undefined
    const token = body.refresh_token ?? refreshCookieOf(ctx)
    if (token === undefined)
      throw new ValidationError('invalid request body', [
        {
          path: 'refresh_token',
          message: 'required field is missing (send it in the body, or the cookie set by login)',
        },
      ])
    let grant
    try {
      grant = await auth.refresh({ refreshToken: token, address: ctx.ip })
    } catch (e) {
      // A cookie that no longer works is dropped, so the browser shows its login page.
      if (fromCookie) clearRefreshCookie(ctx)
      throw e
    }
    setRefreshCookie(ctx, grant.refresh_token, auth.refreshTokenTtlSecs)
    // A page script reads only the access token: the rotated refresh token stays in the cookie.
    ctx.body = fromCookie ? { ...grant, refresh_token: null } : grant
    ctx.set('Cache-Control', 'no-store')
  })

  router.post('/api/auth/logout', async (ctx) => {
    const auth = enabled(deps)
    const body = parseBody(logoutBodySchema, bodyOf(ctx))
    clearRefreshCookie(ctx)
    const session = await auth.logout(caller(ctx), body.refresh_token)
    await deps.audit.record(ctx, {
      action: 'auth.logout',
      targetType: 'session',
      targetId: session ?? undefined,
    })
    ctx.status = 204
  })

  router.get('/api/auth/me', async (ctx) => {
    enabled(deps)
    const me = caller(ctx)
    ctx.body = {
      ...toUserDto(await deps.accounts.getUser(me.userId)),
      authenticated_via: me.via,
    }
  })

  router.get('/api/auth/api-keys', async (ctx) => {
    enabled(deps)
    ctx.body = (await deps.accounts.listApiKeys(caller(ctx).userId)).map(toApiKeyDto)
  })

  router.post('/api/auth/api-keys', async (ctx) => {
    enabled(deps)
    const me = caller(ctx)
    const body = parseBody(createApiKeyBodySchema, bodyOf(ctx))
    const { key, info } = await deps.accounts.createApiKey(me.userId, {
      name: body.name,
      expiresInDays: body.expires_in_days,
    })
    await deps.audit.record(ctx, {
      action: 'api_key.created',
      targetType: 'api_key',
      targetId: info.prefix,
      details: { name: info.name, expires_at: info.expiresAt?.toISOString() ?? null },
    })
    ctx.status = 201
    ctx.set('Cache-Control', 'no-store')
    ctx.body = { key, ...toApiKeyDto(info) }
  })

  router.delete('/api/auth/api-keys/:prefix', async (ctx) => {
    enabled(deps)
    const me = caller(ctx)
    const prefix = ctx.params.prefix!
    if (!isApiKeyPrefix(prefix))
      throw new BadRequestError(`invalid API key prefix '${prefix.slice(0, 40)}'`, 'prefix')
    const info = await deps.accounts.revokeApiKey(prefix, me.role === 'admin' ? null : me.userId)
    await deps.audit.record(ctx, {
      action: 'api_key.revoked',
      targetType: 'api_key',
      targetId: info.prefix,
      details: { owner: info.userId === me.userId ? me.email : info.userId },
    })
    ctx.body = toApiKeyDto(info)
  })
}
