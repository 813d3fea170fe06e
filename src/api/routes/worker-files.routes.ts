/**
 * A remote worker's step files (Weir extension of API.md §11.5): artifacts and task state,
 * streamed both ways, with the worker secret and a lease token of the step's attempt in
 * `X-Lease-Token` (the current one or the one just consumed; never consumed by these calls).
 */
import type Router from '@koa/router'
import type { Context } from 'koa'
import { BadRequestError } from '../../shared/errors.ts'
import type { StateScope } from '../../state/state-values.ts'
import type { ApiDeps } from '../api-deps.ts'
import { workerAuth } from '../middleware/worker-auth.ts'
import { declaredLength, withStreamedBody } from '../streamed-body.ts'
import { stepCall } from './worker-steps.routes.ts'

const STEP_PATH = '/worker/jobs/:jobId/steps/:step'

function scopeOf(raw: string | undefined): StateScope {
  if (raw === 'task' || raw === 'global') return raw
  throw new BadRequestError(`state scope must be task or global, got '${raw ?? ''}'`, 'scope')
}

export function workerFileRoutes(router: Router, deps: ApiDeps): void {
  const auth = workerAuth(deps)
  const files = deps.workerProtocol.files

  router.post(
    `${STEP_PATH}/artifacts/*name`,
    auth,
    (ctx: Context & { params: Record<string, string | undefined> }) =>
      withStreamedBody(ctx, async () => {
        const call = stepCall(ctx)
        const name = ctx.params.name ?? ''
        const declaredBytes = declaredLength(ctx)
        await files.precheckArtifact(call, name, declaredBytes)
        ctx.body = await files.putArtifact(call, name, { body: ctx.req, declaredBytes })
        ctx.status = 201
      }),
  )

  router.delete(`${STEP_PATH}/artifacts`, auth, async (ctx) => {
    await files.discardArtifacts(stepCall(ctx))
    ctx.status = 204
  })

  router.post(
    `${STEP_PATH}/state/:scope`,
    auth,
    (ctx: Context & { params: Record<string, string | undefined> }) =>
      withStreamedBody(ctx, async () => {
        const call = stepCall(ctx)
        const scope = scopeOf(ctx.params.scope)
        const declaredBytes = declaredLength(ctx)
        await files.precheckState(call, declaredBytes)
        ctx.body = await files.putState(call, scope, { body: ctx.req, declaredBytes })
        ctx.status = 201
      }),
  )

  router.get(`${STEP_PATH}/state/:scope/:snapshotId`, auth, async (ctx) => {
    const call = stepCall(ctx)
    const got = await files.stateFiles(call, scopeOf(ctx.params.scope), ctx.params.snapshotId ?? '')
    if (got === null) {
      ctx.status = 204
      return
    }
    ctx.type = 'application/gzip'
    ctx.length = got.size
    ctx.body = got.stream
  })
}
