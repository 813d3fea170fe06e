/**
 * POST /hooks/{ws}/{trigger} (API.md §10), and Strøm's GET or POST /hooks/{name} for triggers
 * that declare `name` (strom-webhook.ts). Other methods get 405 from the router's
 * allowedMethods. Delivery ids are deduplicated through the job idempotency key
 * `webhook:<trigger>:<delivery id>`, which is unique per (workspace, task): a repeat is
 * recognised for as long as the first job is kept, which covers the promised 24 h. A trigger
 * with `force_refresh` reloads its workspace after the caller is authenticated, and the request
 * is then served (and checked again) with the reloaded definition.
 */
import type Router from '@koa/router'
import type { Context } from 'koa'
import { validateInput } from '../../workspace/input-schema.ts'
import { renderTemplate } from '../../templates/render.ts'
import {
  BadRequestError,
  ConflictError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from '../../shared/errors.ts'
import type { TaskDef, TriggerDef, Workspace } from '../../workspace/workspace.ts'
import type { ApiDeps } from '../api-deps.ts'
import type { Job } from '../../flow/job.ts'
import { isTerminalJobStatus } from '../../shared/statuses.ts'
import { z } from 'zod'
import { parseJobId } from '../path-ids.ts'
import { boolParam, intParam } from '../query-params.ts'
import { parseQuery } from '../zod-issues.ts'
import { bodyOf } from '../middleware/json-body.ts'
import {
  findNamedWebhooks,
  presentedSecret,
  sharedSecretMatches,
  stromWebhookInput,
  withoutSecret,
  type NamedWebhook,
} from '../strom-webhook.ts'
import { resolveWebhookInput, webhookEnvelope, type WebhookEnvelope } from '../webhook-input.ts'
import { verifyWebhookSignature } from '../webhook-signature.ts'

const DELIVERY_ID = /^[\x21-\x7e]{1,200}$/

function findTrigger(deps: ApiDeps, wsName: string, name: string): NamedWebhook {
  const workspace = deps.registry.getWorkspace(wsName)
  const trigger = workspace.triggers.get(name)
  if (!trigger || trigger.type !== 'webhook') {
    throw new NotFoundError(`webhook trigger '${name}' not found in workspace '${wsName}'`)
  }
  if (!trigger.enabled) {
    throw new NotFoundError(`webhook trigger '${name}' in workspace '${wsName}' is disabled`)
  }
  return { workspace, trigger }
}

/** The trigger named `name` in Strøm's sense; 409 when several workspaces declare it. */
function findStromTrigger(deps: ApiDeps, name: string): NamedWebhook {
  const found = findNamedWebhooks(
    deps.registry.list().map((e) => e.current),
    name,
  )
  if (found.length === 0) throw new NotFoundError(`webhook '${name}' not found`)
  if (found.length > 1) {
    const where = found.map((f) => `${f.workspace.name}/${f.trigger.name}`).join(', ')
    throw new ConflictError(
      `webhook name '${name}' is declared in more than one workspace (${where}); call /hooks/{workspace}/{trigger} instead`,
    )
  }
  const [hook] = found as [NamedWebhook]
  if (!hook.trigger.enabled) throw new NotFoundError(`webhook '${name}' is disabled`)
  return hook
}

/** Finds and authenticates the trigger; with `force_refresh`, reloads and does both again. */
async function resolveTrigger(
  deps: ApiDeps,
  find: () => NamedWebhook,
  check: (hook: NamedWebhook) => void,
): Promise<NamedWebhook> {
  const hook = find()
  check(hook)
  if (!hook.trigger.forceRefresh) return hook
  await deps.registry.reload(hook.workspace.name)
  const fresh = find()
  check(fresh)
  return fresh
}

function renderSecret(deps: ApiDeps, { workspace, trigger }: NamedWebhook): string | null {
  if (trigger.secret === null) return null
  try {
    return renderTemplate(trigger.secret, { secret: workspace.secrets }, { clock: deps.clock })
  } catch (e) {
    deps.logger.error({ err: e, trigger: trigger.name }, 'webhook secret failed to render')
    return ''
  }
}

function checkSharedSecret(deps: ApiDeps, ctx: Context, hook: NamedWebhook): void {
  const secret = renderSecret(deps, hook)
  if (secret === null) return
  if (!sharedSecretMatches(secret, presentedSecret(ctx.query, ctx.get('Authorization')))) {
    const fields = { workspace: hook.workspace.name, trigger: hook.trigger.name }
    deps.logger.info(fields, 'webhook secret rejected')
    throw new UnauthorizedError('invalid or missing webhook secret')
  }
}

/** koa-body (includeUnparsed) keeps the request text beside the parsed JSON. */
function rawBodyOf(ctx: Context): string {
  const raw = (ctx.request as { rawBody?: unknown }).rawBody
  return typeof raw === 'string' ? raw : ''
}

function checkSignature(deps: ApiDeps, ctx: Context, hook: NamedWebhook): void {
  const { workspace: ws, trigger } = hook
  const secret = renderSecret(deps, hook)
  if (secret === null) return
  const check = verifyWebhookSignature({
    secret,
    headers: ctx.req.headers,
    rawBody: rawBodyOf(ctx),
    now: deps.clock.now(),
  })
  if (!check.ok) {
    deps.logger.info(
      { workspace: ws.name, trigger: trigger.name, reason: check.reason },
      'webhook signature rejected',
    )
    throw new UnauthorizedError('invalid or missing webhook signature')
  }
}

function envelopeOf(ctx: Context): WebhookEnvelope {
  return webhookEnvelope({
    method: ctx.method,
    headers: ctx.req.headers,
    query: ctx.query,
    body: bodyOf(ctx),
  })
}

function deliveryIdOf(ctx: Context): string | null {
  for (const name of ['X-Weir-Delivery', 'X-GitHub-Delivery']) {
    const v = ctx.get(name)
    if (v === '') continue
    if (!DELIVERY_ID.test(v)) {
      throw new BadRequestError(`${name} must be 1-200 visible ASCII characters`, name)
    }
    return v
  }
  return null
}

export function webhookRoutes(router: Router, deps: ApiDeps): void {
  router.post('/hooks/:ws/:trigger', async (ctx) => {
    const { ws, trigger: name } = ctx.params as { ws: string; trigger: string }
    const find = () => findTrigger(deps, ws, name)
    // A trigger that declares Strøm's `name` keeps Strøm's semantics at this address too.
    if (find().trigger.webhookName !== null) await serveStrom(deps, ctx, find)
    else await serveWeir(deps, ctx, find)
  })
  const strom = (ctx: Context & { params: Record<string, string> }) =>
    serveStrom(deps, ctx, () => findStromTrigger(deps, ctx.params.name!))
  router.get('/hooks/:name', strom)
  router.post('/hooks/:name', strom)

  // A job this webhook created, as a sync call would have answered (STROEM-REFERENCE.md §3.6).
  router.get('/hooks/:name/jobs/:id', async (ctx) => {
    const hook = await resolveTrigger(
      deps,
      () => findStromTrigger(deps, ctx.params.name!),
      (h) => checkSharedSecret(deps, ctx, h),
    )
    const id = parseJobId(ctx.params.id)
    const q = parseQuery(jobWaitQuery, ctx.query)
    const job = await deps.jobs.get(id)
    if (!job || !createdBy(job, hook))
      throw new NotFoundError(`job '${id}' was not created by webhook '${ctx.params.name}'`)
    answerWithJob(ctx, hook, q.wait ? await deps.waiter.waitForEnd(id, q.timeout * 1000) : job)
  })
}

/** `wait=true` holds the request until the job ends or `timeout` seconds (1–300, default 30); `secret` may sit beside them. */
export const jobWaitQuery = z.object({
  wait: boolParam('wait', false),
  timeout: intParam('timeout', 1)
    .refine((n) => n <= 300, {
      error: (iss) => `timeout must be at most 300, got ${String(iss.input)}`,
    })
    .default(30),
})

function createdBy(job: Job, hook: NamedWebhook): boolean {
  return (
    job.sourceType === 'webhook' &&
    job.sourceId === `${hook.workspace.name}/${hook.trigger.name}` &&
    job.workspace === hook.workspace.name
  )
}

/** 200 with the job's end once it has ended; 202 with `status: running` while it runs. */
function answerWithJob(ctx: Context, hook: NamedWebhook, job: Job | undefined): void {
  const base = { trigger: hook.trigger.name, task: hook.trigger.task }
  if (!job) throw new NotFoundError('the job is gone')
  if (isTerminalJobStatus(job.status)) {
    ctx.status = 200
    ctx.body = { job_id: job.id, ...base, status: job.status, output: job.output ?? null }
  } else {
    ctx.status = 202
    ctx.body = { job_id: job.id, ...base, status: 'running' }
  }
}

/** API.md §10: HMAC signature, declared inputs from body, query and rendered trigger input. */
async function serveWeir(deps: ApiDeps, ctx: Context, find: () => NamedWebhook): Promise<void> {
  const hook = await resolveTrigger(deps, find, (h) => checkSignature(deps, ctx, h))
  const delivery = deliveryIdOf(ctx)
  const { workspace, task } = deps.registry.getRunnableTask(hook.workspace.name, hook.trigger.task)
  const resolved = resolveWebhookInput({
    schema: task.input,
    declaresInput: task.declaresInput,
    triggerInput: hook.trigger.input,
    webhook: envelopeOf(ctx),
    secrets: workspace.secrets,
    clock: deps.clock,
  })
  if (!resolved.ok) throw new ValidationError('invalid input', resolved.issues)
  const input = validateInput(task.input, task.declaresInput, resolved.input, {
    renderDefault: (tpl) => deps.renderWithSecrets(workspace, tpl),
  })
  if (!input.ok) throw new ValidationError('invalid input', input.issues)
  await createWebhookJob(deps, ctx, {
    workspace,
    task,
    trigger: hook.trigger,
    input: input.value,
    delivery,
  })
}

/** WORKSPACE-FORMAT.md §6.4: shared secret, the request envelope as input, no strict checks. */
async function serveStrom(deps: ApiDeps, ctx: Context, find: () => NamedWebhook): Promise<void> {
  const hook = await resolveTrigger(deps, find, (h) => checkSharedSecret(deps, ctx, h))
  const delivery = deliveryIdOf(ctx)
  const { workspace, task } = deps.registry.getRunnableTask(hook.workspace.name, hook.trigger.task)
  const input = stromWebhookInput({
    triggerInput: hook.trigger.input,
    envelope: withoutSecret(envelopeOf(ctx)),
    schema: task.declaresInput ? task.input : [],
    renderDefault: (tpl) => deps.renderWithSecrets(workspace, tpl),
  })
  await createWebhookJob(deps, ctx, { workspace, task, trigger: hook.trigger, input, delivery })
}

async function createWebhookJob(
  deps: ApiDeps,
  ctx: Context,
  req: {
    workspace: Workspace
    task: TaskDef
    trigger: TriggerDef
    input: Record<string, unknown>
    delivery: string | null
  },
): Promise<void> {
  const { workspace, task, trigger, delivery } = req
  const { jobId, created } = await deps.orchestrator.createJob({
    workspace,
    task,
    input: req.input,
    rawInput: null,
    source: { type: 'webhook', id: `${workspace.name}/${trigger.name}` },
    idempotencyKey: delivery === null ? null : `webhook:${trigger.name}:${delivery}`,
  })
  if (trigger.webhookMode === 'sync') {
    // Held open until the job ends or the trigger's timeout: 200 with its result, else 202.
    const job = await deps.waiter.waitForEnd(jobId, (trigger.timeoutSecs ?? 30) * 1000)
    answerWithJob(ctx, { workspace, trigger }, job)
    return
  }
  ctx.body = {
    job_id: jobId,
    workspace: workspace.name,
    trigger: trigger.name,
    task: task.name,
    duplicate: !created,
  }
}
