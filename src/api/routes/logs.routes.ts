/** Job logs as JSONL text (API.md §6.2). */
import type Router from '@koa/router'
import { z } from 'zod'
import { AppError, NotFoundError } from '../../shared/errors.ts'
import type { ApiDeps } from '../api-deps.ts'
import { parseJobId } from '../path-ids.ts'
import { intParam } from '../query-params.ts'
import { parseQuery } from '../zod-issues.ts'

/** Lines with a seq above `after_seq` (default 0: the whole log). */
export const logsQuerySchema = z.object({ after_seq: intParam('after_seq', 0).default(0) })

function logsBody(lines: ReadonlyArray<string>, lastSeq: number) {
  return { logs: lines.length === 0 ? '' : `${lines.join('\n')}\n`, last_seq: lastSeq }
}

export function logRoutes(router: Router, deps: ApiDeps): void {
  // WebSocket upgrades never reach Koa; a plain GET here is a client that forgot to upgrade.
  router.get('/api/jobs/:id/logs/stream', (ctx) => {
    parseJobId(ctx.params.id)
    throw new AppError(
      'this endpoint streams over WebSocket: connect with a WebSocket client (e.g. websocat)',
      {
        code: 'upgrade_required',
        status: 426,
      },
    )
  })

  router.get('/api/jobs/:id/logs', async (ctx) => {
    const id = parseJobId(ctx.params.id)
    if (!(await deps.jobs.get(id))) throw new NotFoundError(`job '${id}' not found`)
    const { after_seq: afterSeq } = parseQuery(logsQuerySchema, ctx.query)
    const { lines, lastSeq } = await deps.logs.read(id, { afterSeq })
    ctx.body = logsBody(lines, lastSeq)
  })

  router.get('/api/jobs/:id/steps/:step/logs', async (ctx) => {
    const id = parseJobId(ctx.params.id)
    const step = ctx.params.step!
    if (!(await deps.jobs.get(id))) throw new NotFoundError(`job '${id}' not found`)
    if (step !== '_server' && !(await deps.jobs.steps(id)).some((s) => s.name === step)) {
      throw new NotFoundError(`step '${step}' not found in job '${id}'`)
    }
    const { after_seq: afterSeq } = parseQuery(logsQuerySchema, ctx.query)
    const { lines, lastSeq } = await deps.logs.read(id, { afterSeq, step })
    ctx.body = logsBody(lines, lastSeq)
  })
}
