/**
 * Worker-secret authentication for every /worker route but register (API.md §11.1): a missing,
 * unknown or revoked secret gets 401. The worker is then in `ctx.state.worker`.
 */
import type { Context, Next } from 'koa'
import { bearerToken } from '../../workers/worker-credentials.ts'
import type { WorkerRecord } from '../../workers/worker-record.ts'
import { UnauthorizedError } from '../../shared/errors.ts'
import type { ApiDeps } from '../api-deps.ts'

export function workerAuth(deps: ApiDeps) {
  return async function authenticateWorker(ctx: Context, next: Next): Promise<void> {
    const secret = bearerToken(ctx.get('Authorization') || undefined)
    if (secret === null)
      throw new UnauthorizedError(
        'missing worker secret: send Authorization: Bearer <worker_secret>',
      )
    const { lifecycle } = deps.workerProtocol
    ;(ctx.state as { worker?: WorkerRecord }).worker = await lifecycle.authenticate(secret)
    await next()
  }
}

/** The worker authenticated by workerAuth. */
export function workerOf(ctx: Context): WorkerRecord {
  const w = (ctx.state as { worker?: WorkerRecord }).worker
  if (!w) throw new UnauthorizedError('missing worker secret')
  return w
}
