/**
 * The wire shapes of the remote worker protocol (API.md §11) as the worker reads them, and the
 * pure decisions over them: what a step call's answer means for the lease. Replies are parsed
 * leniently (unknown fields ignored) so a newer server keeps working with an older worker.
 */
import { z } from 'zod'
import type { StopReason } from './step-source.ts'

export const registerReplySchema = z.object({
  worker_id: z.string().min(1),
  worker_secret: z.string().min(1),
  heartbeat_interval_secs: z.number().positive().default(3),
  lease_ttl_secs: z.number().positive().default(10),
  max_claim_wait_secs: z.number().positive().default(30),
})
export type RegisterReply = z.infer<typeof registerReplySchema>

/** A text field of the rendered action; a value of another type counts as absent. */
const actionText = z.string().nullable().catch(null)

/**
 * The rendered action (fields per WORKSPACE-FORMAT.md) as far as this worker reads it. Fields of
 * the wrong type count as absent rather than failing the claim, so the step is reported as one
 * this worker cannot run instead of being left to expire.
 */
export const claimActionSchema = z.object({
  type: actionText,
  runner: actionText,
  language: actionText,
  interpreter: actionText,
  script: actionText,
  source: actionText,
  args: z
    .array(z.unknown())
    .catch([])
    .transform((args) => args.filter((a): a is string => typeof a === 'string')),
  /** Container steps: the image (null: the worker's runner image) and the exec/shell forms. */
  image: actionText.optional().transform((v) => v ?? null),
  cmd: actionText.optional().transform((v) => v ?? null),
  entrypoint: z.array(z.string()).nullish().catch(null),
  command: z.array(z.string()).nullish().catch(null),
  pull_policy: z.enum(['if_not_present', 'always', 'never']).catch('if_not_present'),
  resources: z
    .object({
      cpu: z.number().positive().nullish().catch(null),
      memory: z.number().int().positive().nullish().catch(null),
    })
    .nullish()
    .catch(null),
})

/** A state snapshot a claim names (see remote-claim.ts). */
const snapshotSchema = z.object({
  snapshot_id: z.string().min(1),
  values: z.record(z.string(), z.unknown()).default({}),
  has_files: z.boolean().default(false),
})

export const claimReplySchema = z.object({
  lease: z.object({
    token: z.string().min(1),
    expires_at: z.string().nullish(),
    /** The optional fields `complete` takes on this server (absent from older ones: none). */
    complete_fields: z.array(z.string()).catch([]).default([]),
  }),
  job_id: z.string().min(1),
  workspace: z.string(),
  revision: z.string().nullish(),
  task_name: z.string(),
  step_name: z.string().min(1),
  attempt: z.number().int().positive().default(1),
  action_name: z.string().nullish(),
  action_type: z.string().nullish(),
  runner: z.string().nullish(),
  action: claimActionSchema,
  input: z.unknown().optional(),
  timeout_secs: z.number().positive().nullish(),
  env: z.record(z.string(), z.unknown()).default({}),
  /** Whose files a `source:` script is in (absent from older servers: the job's workspace). */
  files: z
    .object({
      kind: z.enum(['workspace', 'library']),
      name: z.string().min(1),
      revision: z.string().min(1),
    })
    .nullish()
    .catch(null),
  /** Absent or null: the server keeps no task state. */
  state: z
    .object({ task: snapshotSchema.nullable(), global: snapshotSchema.nullable() })
    .nullish()
    .catch(null),
})
export type ClaimReply = z.infer<typeof claimReplySchema>

/** start and logs answer with the next token of the chain; complete ends it. */
export const chainReplySchema = z.object({
  next_token: z.string().min(1).optional(),
  cancel_requested: z.union([z.boolean(), z.string()]).nullish(),
})

/** complete's reply: `next_claim` when the worker asked for its next step (null: none ready). */
export const completeReplySchema = z.object({ next_claim: z.unknown().optional() })

export const cancelCheckReplySchema = z.object({
  cancel_requested: z.boolean(),
  reason: z.string().nullish(),
})

export const heartbeatReplySchema = z.object({
  status: z.string().default('active'),
  stop: z
    .array(z.object({ job_id: z.string(), step_name: z.string(), reason: z.string() }))
    .default([]),
})

const errorBodySchema = z.object({ error: z.string().optional(), code: z.string().optional() })

/** `{error, code}` of an error reply, whatever the body held. */
export function errorOf(body: unknown): { error: string; code: string } {
  const parsed = errorBodySchema.safeParse(body)
  return {
    error: (parsed.success ? parsed.data.error : undefined) ?? 'no error message',
    code: (parsed.success ? parsed.data.code : undefined) ?? 'unknown',
  }
}

/** A stop reason from the server; an unknown one counts as a cancel (stop, report `cancelled`). */
export function toStopReason(reason: unknown): StopReason {
  return reason === 'timeout' || reason === 'lease_lost' ? reason : 'cancel_requested'
}

export type CallVerdict =
  /** Applied (or replayed): take `next_token` and go on. */
  | { readonly kind: 'ok' }
  /** Unknown outcome (network, timeout, 5xx): send the same call again, same token and seq. */
  | { readonly kind: 'retry'; readonly why: string }
  /** The lease is no longer ours: kill the step and discard its result. */
  | { readonly kind: 'lease_gone'; readonly why: string }
  /** The worker secret was refused: register again; the leases it held are gone. */
  | { readonly kind: 'unauthorized'; readonly why: string }

/**
 * What the answer to a lease call (start, logs, complete; API.md §11.4) means. `status` null is
 * a call that got no answer at all. Replays make a retry of the same token and seq safe, so
 * every answer that may be transient is retried; every refusal of the lease ends it.
 */
export function classifyStepReply(status: number | null, body: unknown): CallVerdict {
  if (status === null) return { kind: 'retry', why: 'server unreachable' }
  if (status >= 200 && status < 300) return { kind: 'ok' }
  const { error, code } = errorOf(body)
  if (status === 401) return { kind: 'unauthorized', why: error }
  if (status >= 500 || status === 408 || status === 429) {
    return { kind: 'retry', why: `server answered ${status}: ${error}` }
  }
  if (status === 409 && code === 'lease_expired')
    return { kind: 'lease_gone', why: 'lease expired' }
  if (status === 404) return { kind: 'lease_gone', why: 'the server does not know this lease' }
  return { kind: 'lease_gone', why: `server refused the call (${status} ${code}): ${error}` }
}
