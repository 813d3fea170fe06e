/** Webhook triggers (API.md §10) and Strøm's named webhooks. */
import { z } from 'zod'
import { webhookJobReply, webhookJobStatusReply } from '../reply-dto.ts'
import { jobWaitQuery } from '../routes/webhooks.routes.ts'
import type { OperationSpec } from './operation-spec.ts'

/** Any JSON: the webhook envelope hands it to the task input. */
const anyJson = () =>
  z.unknown().meta({ description: 'Any JSON: the webhook envelope gives it to the task input' })
const DELIVERY = {
  name: 'X-Weir-Delivery',
  description: 'A delivery id (or X-GitHub-Delivery): a repeat returns the first job',
}
const SYNC_OR_ASYNC = {
  200: { description: 'The job (with `mode: sync`, its end)', schema: webhookJobReply },
  202: { description: '`mode: sync`: still running at the timeout', schema: webhookJobStatusReply },
}
const NAMED = "A trigger that declares Strøm's `name`: shared secret, the request as input."

export const webhookOperations: ReadonlyArray<OperationSpec> = [
  {
    method: 'POST',
    path: '/hooks/:ws/:trigger',
    summary: 'Fire a webhook trigger',
    tag: 'webhooks',
    access: 'webhook',
    params: { ws: 'The workspace', trigger: 'The trigger name' },
    headers: [DELIVERY],
    body: { schema: anyJson(), example: { ref: 'refs/heads/main' } },
    replies: SYNC_OR_ASYNC,
  },
  {
    method: 'GET',
    path: '/hooks/:name',
    summary: 'Fire a Strøm-style named webhook',
    description: NAMED,
    tag: 'webhooks',
    access: 'webhook',
    params: { name: "The trigger's `name`" },
    headers: [DELIVERY],
    replies: SYNC_OR_ASYNC,
  },
  {
    method: 'POST',
    path: '/hooks/:name',
    summary: 'Fire a Strøm-style named webhook',
    description: NAMED,
    tag: 'webhooks',
    access: 'webhook',
    params: { name: "The trigger's `name`" },
    headers: [DELIVERY],
    body: { schema: anyJson() },
    replies: SYNC_OR_ASYNC,
  },
  {
    method: 'GET',
    path: '/hooks/:name/jobs/:id',
    summary: 'A job this webhook created (optionally waiting for its end)',
    tag: 'webhooks',
    access: 'webhook',
    params: { name: "The trigger's `name`", id: 'The job id' },
    query: jobWaitQuery,
    replies: {
      200: { description: 'The job ended', schema: webhookJobStatusReply },
      202: { description: 'Still running', schema: webhookJobStatusReply },
    },
  },
]
