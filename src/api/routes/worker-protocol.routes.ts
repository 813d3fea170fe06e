/**
 * The remote worker protocol, worker side (API.md §11.2): register with an enrollment token,
 * then heartbeat, claim (long poll), drain, undrain and deregister with the worker secret. The
 * step calls under a lease are in worker-steps.routes.ts.
 */
import type Router from '@koa/router'
import type { Context } from 'koa'
import { bearerToken } from '../../workers/worker-credentials.ts'
import { UnauthorizedError } from '../../shared/errors.ts'
import type { ApiDeps } from '../api-deps.ts'
import { bodyOf } from '../middleware/json-body.ts'
import { workerAuth, workerOf } from '../middleware/worker-auth.ts'
import { toClaimDto, toHeartbeatDto } from '../worker-dto.ts'
import { parseBody } from '../zod-issues.ts'
import {
  claimBodySchema,
  emptyBodySchema,
  heartbeatBodySchema,
  reasonBodySchema,
  registerBodySchema,
} from './worker-protocol.schemas.ts'

/** Aborts when the client goes away before the response is written (a long poll left behind). */
function clientGone(ctx: Context): { signal: AbortSignal; done: () => void } {
  const ac = new AbortController()
  const onClose = () => {
    if (!ctx.res.writableFinished) ac.abort()
  }
  ctx.res.once('close', onClose)
  return { signal: ac.signal, done: () => ctx.res.off('close', onClose) }
}

export function workerProtocolRoutes(router: Router, deps: ApiDeps): void {
  const auth = workerAuth(deps)
  const settings = deps.workerProtocol.settings
  const claimBody = claimBodySchema(settings.maxClaimWaitSecs)

  router.post('/worker/register', async (ctx) => {
    const token = bearerToken(ctx.get('Authorization') || undefined)
    if (token === null)
      throw new UnauthorizedError(
        'missing enrollment token: send Authorization: Bearer <enrollment token>',
      )
    const reg = parseBody(registerBodySchema, bodyOf(ctx))
    const { lifecycle } = deps.workerProtocol
    const { workerId, workerSecret } = await lifecycle.register(token, reg)
    ctx.status = 201
    ctx.body = {
      worker_id: workerId,
      worker_secret: workerSecret,
      heartbeat_interval_secs: settings.heartbeatIntervalSecs,
      lease_ttl_secs: settings.leaseTtlSecs,
      max_claim_wait_secs: settings.maxClaimWaitSecs,
    }
  })

  router.post('/worker/heartbeat', auth, async (ctx) => {
    const body = parseBody(heartbeatBodySchema, bodyOf(ctx))
    const { lifecycle } = deps.workerProtocol
    const res = await lifecycle.heartbeat(workerOf(ctx), body.bootId, body.running)
    ctx.body = toHeartbeatDto(res)
  })

  router.post('/worker/claim', auth, async (ctx) => {
    const { waitSecs } = parseBody(claimBody, bodyOf(ctx))
    const { steps } = deps.workerProtocol
    const gone = clientGone(ctx)
    try {
      const claimed = await steps.claim(workerOf(ctx), waitSecs, gone.signal)
      if (claimed) ctx.body = toClaimDto(claimed)
      else {
        ctx.status = 204
        ctx.body = null
      }
    } finally {
      gone.done()
    }
  })

  router.post('/worker/drain', auth, async (ctx) => {
    const { reason } = parseBody(reasonBodySchema, bodyOf(ctx))
    const { lifecycle } = deps.workerProtocol
    await lifecycle.drainSelf(workerOf(ctx), reason)
    ctx.body = { status: 'draining' }
  })

  router.post('/worker/undrain', auth, async (ctx) => {
    parseBody(emptyBodySchema, bodyOf(ctx))
    const { lifecycle } = deps.workerProtocol
    await lifecycle.undrainSelf(workerOf(ctx))
    ctx.body = { status: 'active' }
  })

  router.post('/worker/deregister', auth, async (ctx) => {
    parseBody(emptyBodySchema, bodyOf(ctx))
    const { lifecycle } = deps.workerProtocol
    await lifecycle.deregister(workerOf(ctx))
    ctx.status = 204
    ctx.body = null
  })
}
