/**
 * POST /hooks/{ws}/{trigger} (API.md §10). Other methods get 405 from the router's
 * allowedMethods. Delivery ids are deduplicated through the job idempotency key
 * `webhook:<trigger>:<delivery id>`, which is unique per (workspace, task): a repeat is
 * recognised for as long as the first job is kept, which covers the promised 24 h.
 */
import type Router from '@koa/router'
import type { Context } from 'koa'
import { validateInput } from '../../engine/input-schema.ts'
import { renderTemplate } from '../../engine/templates.ts'
import {
  BadRequestError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from '../../shared/errors.ts'
import type { TriggerDef, Workspace } from '../../workspace/workspace.ts'
import type { ApiDeps } from '../api-deps.ts'
import { bodyOf } from '../middleware/json-body.ts'
import { resolveWebhookInput, webhookEnvelope } from '../webhook-input.ts'
import { verifyWebhookSignature } from '../webhook-signature.ts'

const DELIVERY_ID = /^[\x21-\x7e]{1,200}$/

function findTrigger(deps: ApiDeps, wsName: string, name: string): [Workspace, TriggerDef] {
  const ws = deps.registry.getWorkspace(wsName)
  const trigger = ws.triggers.get(name)
  if (!trigger || trigger.type !== 'webhook') {
    throw new NotFoundError(`webhook trigger '${name}' not found in workspace '${wsName}'`)
  }
  if (!trigger.enabled) {
    throw new NotFoundError(`webhook trigger '${name}' in workspace '${wsName}' is disabled`)
  }
  return [ws, trigger]
}

/** koa-body (includeUnparsed) keeps the request text beside the parsed JSON. */
function rawBodyOf(ctx: Context): string {
  const raw = (ctx.request as { rawBody?: unknown }).rawBody
  return typeof raw === 'string' ? raw : ''
}

function checkSignature(deps: ApiDeps, ctx: Context, ws: Workspace, trigger: TriggerDef): void {
  if (trigger.secret === null) return
  let secret: string
  try {
    secret = renderTemplate(trigger.secret, { secret: ws.secrets })
  } catch (e) {
    deps.logger.error({ err: e, trigger: trigger.name }, 'webhook secret failed to render')
    throw new UnauthorizedError('invalid or missing webhook signature')
  }
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
    const [ws, trigger] = findTrigger(deps, ctx.params.ws!, ctx.params.trigger!)
    checkSignature(deps, ctx, ws, trigger)
    const delivery = deliveryIdOf(ctx)
    const { workspace, task } = deps.registry.getRunnableTask(ws.name, trigger.task)
    const resolved = resolveWebhookInput({
      schema: task.input,
      declaresInput: task.declaresInput,
      triggerInput: trigger.input,
      webhook: webhookEnvelope({
        method: ctx.method,
        headers: ctx.req.headers,
        query: ctx.query,
        body: bodyOf(ctx),
      }),
      secrets: workspace.secrets,
    })
    if (!resolved.ok) throw new ValidationError('invalid input', resolved.issues)
    const input = validateInput(task.input, task.declaresInput, resolved.input, {
      renderDefault: (tpl) => deps.renderWithSecrets(workspace, tpl),
    })
    if (!input.ok) throw new ValidationError('invalid input', input.issues)
    const { jobId, created } = await deps.engine.createJob({
      workspace,
      task,
      input: input.value,
      rawInput: null,
      source: { type: 'webhook', id: `${workspace.name}/${trigger.name}` },
      idempotencyKey: delivery === null ? null : `webhook:${trigger.name}:${delivery}`,
    })
    ctx.body = {
      job_id: jobId,
      workspace: workspace.name,
      trigger: trigger.name,
      task: task.name,
      duplicate: !created,
    }
  })
}
