/** Jobs: list, detail, cancel, retry (API.md §5). */
import type Router from '@koa/router'
import { z } from 'zod'
import { NotFoundError, ConflictError } from '../../shared/errors.ts'
import { isUuid } from '../../shared/ids.ts'
import {
  JOB_STATUSES,
  SOURCE_TYPES,
  isTerminalJobStatus,
  type JobStatus,
} from '../../shared/statuses.ts'
import type { StepRun } from '../../flow/job.ts'
import { waitingReason } from '../../workers/waiting-reason.ts'
import type { ApiDeps } from '../api-deps.ts'
import { setTotalCount } from '../list-headers.ts'
import { toJobDetailDto, toJobSummaryDto } from '../job-dto.ts'
import { bodyOf } from '../middleware/json-body.ts'
import { parseJobId } from '../path-ids.ts'
import { cursorExcludesOffset, cursorParam, pageParams } from '../query-params.ts'
import { parseBody, parseQuery } from '../zod-issues.ts'
import { principalOf } from '../middleware/auth.ts'
import { executeTask, jobSourceOf } from './execute.ts'

/** The keyset cursor of the jobs list: the last job's `created_at` and id. */
export function encodeJobCursor(createdAt: Date, id: string): string {
  return Buffer.from(`${createdAt.toISOString()}|${id}`).toString('base64url')
}

function decodeJobCursor(raw: string): { createdAt: Date; id: string } | undefined {
  const [at, id] = Buffer.from(raw, 'base64url').toString('utf8').split('|')
  const createdAt = new Date(at ?? '')
  if (!id || !isUuid(id) || Number.isNaN(createdAt.getTime())) return undefined
  return { createdAt, id }
}

const quoted = (list: ReadonlyArray<string>) => list.map((s) => `'${s}'`).join(', ')

const KNOWN_STATUSES: ReadonlySet<string> = new Set(JOB_STATUSES)
const isJobStatus = (s: string): s is JobStatus => KNOWN_STATUSES.has(s)

/** One status or a comma list; every unknown one is named. */
const statusListParam = z.string().transform((raw, ctx) => {
  const list = raw.split(',').map((s) => s.trim())
  const bad = list.filter((s) => !isJobStatus(s))
  if (bad.length === 0) return list.filter(isJobStatus)
  ctx.addIssue({
    code: 'custom',
    message: `unknown status ${quoted(bad)} (expected ${JOB_STATUSES.join(', ')})`,
  })
  return z.NEVER
})

export const jobListQuerySchema = z
  .object({
    workspace: z.string().optional(),
    task_name: z.string().optional(),
    status: statusListParam.optional(),
    source_type: z
      .enum(SOURCE_TYPES, {
        error: (iss) =>
          `unknown source_type '${String(iss.input)}' (expected ${SOURCE_TYPES.join(', ')})`,
      })
      .optional(),
    parent_job_id: z
      .string()
      .refine(isUuid, {
        error: (iss) => `parent_job_id must be a job id, got '${String(iss.input)}'`,
      })
      .optional(),
    ...pageParams,
    cursor: cursorParam(decodeJobCursor).optional(),
  })
  .superRefine((q, ctx) => {
    if (q.task_name !== undefined && q.workspace === undefined)
      ctx.addIssue({ code: 'custom', path: ['task_name'], message: 'task_name requires workspace' })
    cursorExcludesOffset(q, ctx)
  })
  .transform((q) => ({
    workspace: q.workspace,
    taskName: q.task_name,
    statuses: q.status,
    sourceType: q.source_type,
    parentJobId: q.parent_job_id,
    limit: q.limit,
    offset: q.offset,
    cursor: q.cursor,
    count: q.count,
  }))

/** An approver's decision (STROEM-REFERENCE.md §3.3). */
export const approveBodySchema = z.strictObject({
  approved: z.boolean(),
  input: z.record(z.string(), z.unknown()).nullish(),
  rejection_reason: z.string().nullish(),
})

/** Cancel and retry take no parameters; a body, if sent, is ignored as long as it is an object. */
export const noParamsBodySchema = z.object({})

/** Why the job's ready steps wait, when no connected worker can take them (read only then). */
async function waitingReasons(
  deps: ApiDeps,
  steps: ReadonlyArray<StepRun>,
): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  if (!steps.some((s) => s.status === 'ready')) return out
  const { workers } = await deps.workers.list({ limit: 500, offset: 0, count: false })
  const now = deps.clock.now()
  for (const s of steps) {
    const reason = waitingReason(s, workers, now)
    if (reason !== null) out.set(s.name, reason)
  }
  return out
}

export function jobRoutes(router: Router, deps: ApiDeps): void {
  router.get('/api/jobs', async (ctx) => {
    const filter = parseQuery(jobListQuerySchema, ctx.query)
    const { jobs, total } = await deps.jobs.list(filter)
    setTotalCount(ctx, total)
    const last = jobs[jobs.length - 1]
    if (last && jobs.length === filter.limit)
      ctx.set('X-Next-Cursor', encodeJobCursor(last.createdAt, last.id))
    ctx.body = jobs.map(toJobSummaryDto)
  })

  router.get('/api/jobs/:id', async (ctx) => {
    const id = parseJobId(ctx.params.id)
    const job = await deps.jobs.get(id)
    if (!job) throw new NotFoundError(`job '${id}' not found`)
    const steps = await deps.jobs.steps(id)
    ctx.body = toJobDetailDto(job, steps, deps.jobMask(job), await waitingReasons(deps, steps))
  })

  router.post('/api/jobs/:id/cancel', async (ctx) => {
    const id = parseJobId(ctx.params.id)
    parseBody(noParamsBodySchema, bodyOf(ctx))
    const { status, cancelRequestedAt } = await deps.orchestrator.cancelJob(id)
    await deps.audit.record(ctx, { action: 'job.cancelled', targetType: 'job', targetId: id })
    ctx.status = status === 'cancelled' ? 200 : 202
    ctx.body = { job_id: id, status, cancel_requested_at: cancelRequestedAt.toISOString() }
  })

  router.post('/api/jobs/:id/steps/:step/approve', async (ctx) => {
    const id = parseJobId(ctx.params.id)
    const step = ctx.params.step!
    const body = parseBody(approveBodySchema, bodyOf(ctx))
    const { status } = await deps.orchestrator.decideApproval(id, step, {
      approved: body.approved,
      input: body.input ?? null,
      rejectionReason: body.rejection_reason ?? null,
      actor: principalOf(ctx)?.email ?? 'anonymous',
    })
    await deps.audit.record(ctx, {
      action: body.approved ? 'job.step_approved' : 'job.step_rejected',
      targetType: 'job',
      targetId: id,
      details: { step },
    })
    ctx.body = {
      job_id: id,
      step_name: step,
      status: body.approved ? 'approved' : 'rejected',
      step_status: status,
    }
  })

  router.post('/api/jobs/:id/retry', async (ctx) => {
    const id = parseJobId(ctx.params.id)
    parseBody(noParamsBodySchema, bodyOf(ctx))
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
