/** Workers (API.md §7.2) and the operator's actions on them (§7.3). */
import type Router from '@koa/router'
import { BadRequestError } from '../../shared/errors.ts'
import { isUuid } from '../../shared/ids.ts'
import type { ApiDeps } from '../api-deps.ts'
import { bodyOf } from '../middleware/json-body.ts'
import { boolParam, intParam, MAX_LIMIT } from '../query.ts'
import { bodyOrThrow, parseEmptyBody, parseReasonBody } from '../worker-bodies.ts'
import { toWorkerDetailDto, toWorkerDto } from '../worker-dto.ts'

function parseWorkerId(raw: string | undefined): string {
  if (raw === undefined || !isUuid(raw))
    throw new BadRequestError(`invalid worker id '${raw ?? ''}'`, 'worker_id')
  return raw
}

export function workerRoutes(router: Router, deps: ApiDeps): void {
  router.get('/api/workers', async (ctx) => {
    const limit = Math.min(intParam(ctx.query, 'limit', 50, 1), MAX_LIMIT)
    const offset = intParam(ctx.query, 'offset', 0, 0)
    const count = boolParam(ctx.query, 'count', true)
    const { workers, total } = await deps.workers.list({ limit, offset, count })
    if (total !== null) ctx.set('X-Total-Count', String(total))
    ctx.body = workers.map(toWorkerDto)
  })

  router.get('/api/workers/:id', async (ctx) => {
    const { worker, recent } = await deps.workers.get(parseWorkerId(ctx.params.id))
    ctx.body = toWorkerDetailDto(worker, recent)
  })

  router.post('/api/workers/:id/drain', async (ctx) => {
    const id = parseWorkerId(ctx.params.id)
    const { reason } = bodyOrThrow(parseReasonBody(bodyOf(ctx)))
    const worker = await deps.workers.drain(id, reason)
    await deps.audit.record(ctx, {
      action: 'worker.drained',
      targetType: 'worker',
      targetId: id,
      details: { name: worker.name, reason },
    })
    ctx.body = toWorkerDto(worker)
  })

  router.post('/api/workers/:id/undrain', async (ctx) => {
    const id = parseWorkerId(ctx.params.id)
    bodyOrThrow(parseEmptyBody(bodyOf(ctx)))
    const worker = await deps.workers.undrain(id)
    await deps.audit.record(ctx, {
      action: 'worker.undrained',
      targetType: 'worker',
      targetId: id,
      details: { name: worker.name },
    })
    ctx.body = toWorkerDto(worker)
  })

  router.delete('/api/workers/:id', async (ctx) => {
    const id = parseWorkerId(ctx.params.id)
    const worker = await deps.workers.revoke(id)
    await deps.audit.record(ctx, {
      action: 'worker.revoked',
      targetType: 'worker',
      targetId: id,
      details: { name: worker.name },
    })
    ctx.body = toWorkerDto(worker)
  })
}
