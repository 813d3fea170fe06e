/** Jobs: list, detail, cancel, retry (API.md §5). */
import type Router from '@koa/router'
import { BadRequestError, NotFoundError, ConflictError } from '../../shared/errors.ts'
import {
  JOB_STATUSES,
  SOURCE_TYPES,
  isTerminalJobStatus,
  type JobStatus,
  type SourceType,
} from '../../shared/statuses.ts'
import type { ApiDeps } from '../api-deps.ts'
import { toJobDetailDto, toJobSummaryDto } from '../job-dto.ts'
import {
  boolParam,
  decodeCursor,
  encodeCursor,
  parseJobId,
  stringParam,
  pageParams,
} from '../query.ts'
import { executeTask, jobSourceOf } from './execute.ts'

function parseStatuses(raw: string | undefined): JobStatus[] | undefined {
  if (raw === undefined) return undefined
  const list = raw.split(',').map((s) => s.trim())
  const bad = list.filter((s) => !(JOB_STATUSES as ReadonlyArray<string>).includes(s))
  if (bad.length > 0)
    throw new BadRequestError(
      `unknown status ${bad.map((b) => `'${b}'`).join(', ')} (expected ${JOB_STATUSES.join(', ')})`,
      'status',
    )
  return list as JobStatus[]
}

function parseSourceType(raw: string | undefined): SourceType | undefined {
  if (raw === undefined) return undefined
  if (!(SOURCE_TYPES as ReadonlyArray<string>).includes(raw)) {
    throw new BadRequestError(
      `unknown source_type '${raw}' (expected ${SOURCE_TYPES.join(', ')})`,
      'source_type',
    )
  }
  return raw as SourceType
}

export function jobRoutes(router: Router, deps: ApiDeps): void {
  router.get('/api/jobs', async (ctx) => {
    const q = ctx.query
    const workspace = stringParam(q, 'workspace')
    const taskName = stringParam(q, 'task_name')
    if (taskName !== undefined && workspace === undefined)
      throw new BadRequestError('task_name requires workspace', 'task_name')
    const { limit, offset, rawCursor } = pageParams(q)
    const count = boolParam(q, 'count', true)
    const { jobs, total } = await deps.jobs.list({
      workspace,
      taskName,
      statuses: parseStatuses(stringParam(q, 'status')),
      sourceType: parseSourceType(stringParam(q, 'source_type')),
      limit,
      offset,
      cursor: rawCursor === undefined ? undefined : decodeCursor(rawCursor),
      count,
    })
    if (total !== null) ctx.set('X-Total-Count', String(total))
    const last = jobs[jobs.length - 1]
    if (last && jobs.length === limit)
      ctx.set('X-Next-Cursor', encodeCursor(last.createdAt, last.id))
    ctx.body = jobs.map(toJobSummaryDto)
  })

  router.get('/api/jobs/:id', async (ctx) => {
    const id = parseJobId(ctx.params.id)
    const job = await deps.jobs.get(id)
    if (!job) throw new NotFoundError(`job '${id}' not found`)
    const steps = await deps.jobs.steps(id)
    ctx.body = toJobDetailDto(job, steps, await deps.jobMask(job))
  })

  router.post('/api/jobs/:id/cancel', async (ctx) => {
    const id = parseJobId(ctx.params.id)
    const { status, cancelRequestedAt } = await deps.engine.cancelJob(id)
    await deps.audit.record(ctx, { action: 'job.cancelled', targetType: 'job', targetId: id })
    ctx.status = status === 'cancelled' ? 200 : 202
    ctx.body = { job_id: id, status, cancel_requested_at: cancelRequestedAt.toISOString() }
  })

  router.post('/api/jobs/:id/retry', async (ctx) => {
    const id = parseJobId(ctx.params.id)
    const job = await deps.jobs.get(id)
    if (!job) throw new NotFoundError(`job '${id}' not found`)
    if (!isTerminalJobStatus(job.status)) throw new ConflictError(`job is still ${job.status}`)
    if (job.sourceType === 'hook')
      throw new ConflictError('hook jobs cannot be retried; retry the original job')
    const result = await executeTask(deps, {
      workspace: job.workspace,
      task: job.taskName,
      body: { input: job.input },
      retryOfJobId: job.id,
      idempotencyKey: null,
      source: jobSourceOf(ctx),
    })
    await deps.audit.record(ctx, {
      action: 'job.retried',
      targetType: 'job',
      targetId: result.job_id,
      details: { retry_of_job_id: job.id, workspace: job.workspace, task: job.taskName },
    })
    ctx.body = result
  })
}
