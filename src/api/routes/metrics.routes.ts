/**
 * `GET /metrics` (API.md §9): Prometheus text. Public with `metrics.public`, or when `auth` is off
 * and no `metrics.token` is set; otherwise `Authorization: Bearer` with that token or an admin's key.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type Router from '@koa/router'
import type { Context } from 'koa'
import { parseAuthorization } from '../../auth/credentials.ts'
import { ForbiddenError, UnauthorizedError } from '../../shared/errors.ts'
import type { ApiDeps } from '../api-deps.ts'

function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest()
  return timingSafeEqual(digest(a), digest(b))
}

async function checkScraper(ctx: Context, deps: ApiDeps): Promise<void> {
  const token = deps.metricsToken
  if (deps.metricsPublic || (token === null && deps.auth === null)) return
  const bearer = parseAuthorization(ctx.get('Authorization') || undefined)
  if (bearer.kind !== 'token') {
    throw new UnauthorizedError('metrics need Authorization: Bearer <metrics token or admin key>')
  }
  if (token !== null && sameSecret(bearer.token, token)) return
  if (deps.auth === null) throw new UnauthorizedError('invalid metrics token')
  const principal = await deps.auth.authenticate(bearer.token)
  if (principal.role !== 'admin') throw new ForbiddenError('metrics are admin-only')
}

export function metricsRoutes(router: Router, deps: ApiDeps): void {
  router.get('/metrics', async (ctx) => {
    await checkScraper(ctx, deps)
    ctx.type = deps.metrics.contentType
    ctx.body = await deps.metrics.render()
  })
}
