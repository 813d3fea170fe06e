/**
 * /api/auth (API.md §12): login, refresh, logout, the current user and self-service API keys.
 * Without an `auth` section these answer 404: there is nothing to log in to.
 */
import type Router from '@koa/router'
import type { Context } from 'koa'
import type { AuthApi } from '../../auth/auth-runtime.ts'
import { isApiKeyPrefix } from '../../auth/credentials.ts'
import {
  parseCreateApiKeyBody,
  parseLoginBody,
  parseLogoutBody,
  parseRefreshBody,
  type Parsed,
} from '../../auth/requests.ts'
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

function valid<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) throw new ValidationError('invalid request body', parsed.issues)
  return parsed.value
}

export function authRoutes(router: Router, deps: ApiDeps): void {
  router.post('/api/auth/login', async (ctx) => {
    const auth = enabled(deps)
    const body = valid(parseLoginBody(bodyOf(ctx)))
    try {
      ctx.body = await auth.login({ email: body.email, password: body.password, address: ctx.ip })
    } catch (e) {
      if (isAppError(e) && e.code === 'too_many_requests')
        ctx.set('Retry-After', String((e as TooManyRequestsError).retryAfterSecs))
      throw e
    }
    ctx.set('Cache-Control', 'no-store')
  })

  router.post('/api/auth/refresh', async (ctx) => {
    const auth = enabled(deps)
    const body = valid(parseRefreshBody(bodyOf(ctx)))
    ctx.body = await auth.refresh({ refreshToken: body.refresh_token, address: ctx.ip })
    ctx.set('Cache-Control', 'no-store')
  })

  router.post('/api/auth/logout', async (ctx) => {
    const auth = enabled(deps)
    const body = valid(parseLogoutBody(bodyOf(ctx)))
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
    const body = valid(parseCreateApiKeyBody(bodyOf(ctx)))
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
