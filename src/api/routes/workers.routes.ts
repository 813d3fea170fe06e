/** Workers (API.md §7.2) and the operator's actions on them (§7.3). */
import type Router from '@koa/router'
import { z } from 'zod'
import type { ApiDeps } from '../api-deps.ts'
import { setTotalCount } from '../list-headers.ts'
import { bodyOf } from '../middleware/json-body.ts'
import { parseWorkerId } from '../path-ids.ts'
import { pageParams } from '../query-params.ts'
import { toWorkerDetailDto, toWorkerDto } from '../worker-dto.ts'
import { parseBody, parseQuery } from '../zod-issues.ts'
import { emptyBodySchema, reasonBodySchema } from './worker-protocol.schemas.ts'

/** Paging by limit and offset only (API.md §1.5): this list sends no keyset cursor. */
export const workerListQuerySchema = z.object(pageParams)

export function workerRoutes(router: Router, deps: ApiDeps): void {
  router.get('/api/workers', async (ctx) => {
    const { limit, offset, count } = parseQuery(workerListQuerySchema, ctx.query)
    const { workers, total } = await deps.workers.list({ limit, offset, count })
    setTotalCount(ctx, total)
    ctx.body = workers.map(toWorkerDto)
  })

  router.get('/api/workers/:id', async (ctx) => {
    const { worker, recent } = await deps.workers.get(parseWorkerId(ctx.params.id))
    ctx.body = toWorkerDetailDto(worker, recent)
  })

  router.post('/api/workers/:id/drain', async (ctx) => {
    const id = parseWorkerId(ctx.params.id)
    const { reason } = parseBody(reasonBodySchema, bodyOf(ctx))
    const worker = await deps.workers.operatorDrain(id, reason)
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
    parseBody(emptyBodySchema, bodyOf(ctx))
    const worker = await deps.workers.operatorUndrain(id)
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
    const worker = await deps.workers.operatorRevoke(id)
    await deps.audit.record(ctx, {
      action: 'worker.revoked',
      targetType: 'worker',
      targetId: id,
      details: { name: worker.name },
    })
    ctx.body = toWorkerDto(worker)
  })
}
