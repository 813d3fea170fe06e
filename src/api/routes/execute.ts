/** POST .../execute and job retries: strict input validation, then one job creation. */
import type Router from '@koa/router'
import type { Context } from 'koa'
import { z } from 'zod'
import type { JobSource } from '../../flow/plan-job.ts'
import type { NewAuditEntry } from '../../shared/accounts.ts'
import { validateInput } from '../../workspace/input-schema.ts'
import { BadRequestError, NotFoundError, ValidationError } from '../../shared/errors.ts'
import { isUuid } from '../../shared/ids.ts'
import { replaySecretInputs } from '../../flow/secret-values.ts'
import type { ApiDeps } from '../api-deps.ts'
import { principalOf } from '../middleware/auth.ts'
import { bodyOf } from '../middleware/json-body.ts'
import { parseBody } from '../zod-issues.ts'

/**
 * Check 1 of API.md §4.4: the envelope. `input` is an object, absent or null (both `{}`); its
 * fields are the task's and are checked against the task's schema, not here.
 */
export const executeBodySchema = z
  .strictObject({
    input: z.record(z.string(), z.unknown()).nullish(),
    /** A re-run of that job: source_type `rerun`, secret fields sent masked replay its values. */
    source_job_id: z.string().refine(isUuid, { error: 'expected a job id' }).nullish(),
  })
  .transform((b) => ({ input: b.input ?? {}, sourceJobId: b.source_job_id ?? null }))

/** Jobs started over the API: by the authenticated user when auth is on (API.md §2.3). */
export function jobSourceOf(ctx: Context): JobSource {
  const principal = principalOf(ctx)
  return principal ? { type: 'user', id: principal.email } : { type: 'api', id: null }
}

export async function executeTask(
  deps: ApiDeps,
  req: {
    workspace: string
    task: string
    body: unknown
    retryOfJobId: string | null
    idempotencyKey: string | null
    source: JobSource
    /** Written with the job (its id is the target). */
    audit?: NewAuditEntry
  },
): Promise<{ job_id: string }> {
  const { workspace, task } = deps.registry.getRunnableTask(req.workspace, req.task)
  const body = parseBody(executeBodySchema, req.body)
  let given: Record<string, unknown> = body.input
  let source = req.source
  if (body.sourceJobId !== null) {
    const original = await deps.jobs.get(body.sourceJobId)
    if (!original || original.workspace !== workspace.name)
      throw new NotFoundError(
        `source_job_id: job '${body.sourceJobId}' not found in workspace '${workspace.name}'`,
      )
    const raw = isRecord(original.rawInput) ? original.rawInput : original.input
    given = replaySecretInputs(task.input, body.input, raw)
    source = { type: 'rerun', id: original.id }
  }
  const input = validateInput(task.input, task.declaresInput, given, {
    renderDefault: (tpl) => deps.renderWithSecrets(workspace, tpl),
  })
  if (!input.ok) throw new ValidationError('invalid input', input.issues)
  const { jobId } = await deps.orchestrator.createJob({
    workspace,
    task,
    input: input.value,
    rawInput: given,
    source,
    sourceJobId: body.sourceJobId,
    idempotencyKey: req.idempotencyKey,
    retryOfJobId: req.retryOfJobId,
    audit: req.audit,
  })
  return { job_id: jobId }
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/

export function executeRoutes(router: Router, deps: ApiDeps): void {
  router.post('/api/workspaces/:ws/tasks/:task/execute', async (ctx) => {
    const key = ctx.get('Idempotency-Key')
    if (key !== '' && !IDEMPOTENCY_KEY.test(key)) {
      throw new BadRequestError(
        'Idempotency-Key must be 1-200 visible ASCII characters',
        'Idempotency-Key',
      )
    }
    const result = await executeTask(deps, {
      workspace: ctx.params.ws!,
      task: ctx.params.task!,
      body: bodyOf(ctx),
      retryOfJobId: null,
      idempotencyKey: key === '' ? null : key,
      source: jobSourceOf(ctx),
      // The job's own statement writes it (the target is the job: its id is filled in there).
      audit: deps.audit.entry(ctx, {
        action: 'job.executed',
        targetType: 'job',
        details: { workspace: ctx.params.ws!, task: ctx.params.task! },
      }),
    })
    ctx.body = result
  })
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}
