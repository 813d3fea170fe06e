/**
 * Step calls under a lease (API.md §11.4, §11.5): start, logs, cancel-check and complete, each
 * with the worker secret and the current lease token in `X-Lease-Token`.
 */
import type Router from '@koa/router'
import type { Context } from 'koa'
import type { StepCall } from '../../workers/remote-step-calls.ts'
import { BadRequestError } from '../../shared/errors.ts'
import type { ApiDeps } from '../api-deps.ts'
import { bodyOf } from '../middleware/json-body.ts'
import { workerAuth, workerOf } from '../middleware/worker-auth.ts'
import { parseJobId } from '../path-ids.ts'
import { toClaimDto } from '../worker-dto.ts'
import { parseBody } from '../zod-issues.ts'
import {
  completeBodySchema,
  emptyBodySchema,
  logsBodySchema,
  seqBodySchema,
} from './worker-protocol.schemas.ts'

const STEP_PATH = '/worker/jobs/:jobId/steps/:step'

/** The step call a request makes: its worker, job, step and lease token. */
export function stepCall(ctx: Context & { params: Record<string, string | undefined> }): StepCall {
  const jobId = parseJobId(ctx.params.jobId)
  const token = ctx.get('X-Lease-Token')
  if (token === '')
    throw new BadRequestError(
      'missing X-Lease-Token header (the current lease token)',
      'X-Lease-Token',
    )
  return { worker: workerOf(ctx), jobId, stepName: ctx.params.step ?? '', token }
}

export function workerStepRoutes(router: Router, deps: ApiDeps): void {
  const auth = workerAuth(deps)
  router.post(`${STEP_PATH}/start`, auth, async (ctx) => {
    const call = stepCall(ctx)
    const { seq } = parseBody(seqBodySchema, bodyOf(ctx))
    const { steps } = deps.workerProtocol
    ctx.body = await steps.start(call, seq)
  })

  router.post(`${STEP_PATH}/logs`, auth, async (ctx) => {
    const call = stepCall(ctx)
    const { seq, lines } = parseBody(logsBodySchema, bodyOf(ctx))
    const { steps } = deps.workerProtocol
    ctx.body = await steps.logs(call, seq, lines)
  })

  router.post(`${STEP_PATH}/cancel-check`, auth, async (ctx) => {
    const call = stepCall(ctx)
    parseBody(emptyBodySchema, bodyOf(ctx))
    const { steps } = deps.workerProtocol
    ctx.body = await steps.cancelCheck(call)
  })

  router.post(`${STEP_PATH}/complete`, auth, async (ctx) => {
    const call = stepCall(ctx)
    const req = parseBody(completeBodySchema, bodyOf(ctx))
    const { steps } = deps.workerProtocol
    const { reply, next } = await steps.complete(call, req)
    ctx.body = req.claimNext ? { ...reply, next_claim: next && toClaimDto(next) } : reply
  })
}
