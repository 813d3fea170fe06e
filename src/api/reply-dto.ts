/**
 * Schemas of the small replies routes build inline (a created job, a cancel, a log page, stats,
 * the public config, a registered worker, …): what the OpenAPI document says they contain.
 * The larger shapes sit beside their mappers (dto.ts, job-dto.ts, account-dto.ts, worker-dto.ts).
 */
import { z } from 'zod'
import { JOB_STATUSES, STEP_STATUSES, WORKER_STATUSES } from '../shared/statuses.ts'
import { userDto } from './account-dto.ts'
import { jsonDto, timestampDto } from './dto.ts'

export const jobCreatedReply = z.object({ job_id: z.string() })

export const cancelReply = z.object({
  job_id: z.string(),
  status: z.enum(JOB_STATUSES),
  cancel_requested_at: timestampDto,
})

export const approveReply = z.object({
  job_id: z.string(),
  step_name: z.string(),
  status: z.enum(['approved', 'rejected']),
  step_status: z.enum(STEP_STATUSES),
})

export const logsReply = z.object({
  /** JSONL: one `{"ts","stream","step","line","seq"}` object per line. */
  logs: z.string(),
  last_seq: z.int(),
})

export const artifactDto = z.object({
  name: z.string(),
  content_type: z.string(),
  size_bytes: z.int(),
  step_name: z.string().nullable(),
  created_at: timestampDto.nullable(),
  url: z.string(),
})

export const jobCountsReply = z.record(z.enum(JOB_STATUSES), z.int())

const durations = {
  sample_size: z.int(),
  avg_ms: z.number().nullable(),
  p50_ms: z.number().nullable(),
  p95_ms: z.number().nullable(),
  min_ms: z.number().nullable(),
  max_ms: z.number().nullable(),
}

export const taskStatsReply = z.object({
  window: z.int(),
  task: z.object({
    ...durations,
    recent: z.array(
      z.object({ job_id: z.string(), duration_ms: z.number(), completed_at: timestampDto }),
    ),
  }),
  steps: z.array(z.object({ step_name: z.string(), ...durations })),
})

export const configReply = z.object({
  auth_required: z.boolean(),
  has_internal_auth: z.boolean(),
  acl_enabled: z.boolean(),
  oidc_providers: z.array(jsonDto),
  version: z.string(),
})

export const healthReply = z.object({ status: z.literal('ok') })

export const readinessReply = z.object({
  status: z.enum(['ready', 'not_ready', 'shutting_down']),
  checks: z.record(z.string(), z.string()),
})

export const tokenGrantReply = z.object({
  access_token: z.string(),
  /** null when refreshed from the cookie: the rotated token stays in the cookie. */
  refresh_token: z.string().nullable(),
  token_type: z.literal('Bearer'),
  expires_in: z.int(),
})

export const meReply = userDto.extend({ authenticated_via: z.enum(['access_token', 'api_key']) })

export const webhookJobReply = z.object({
  job_id: z.string(),
  workspace: z.string(),
  trigger: z.string(),
  task: z.string(),
  /** A repeated delivery id: the job of the first delivery. */
  duplicate: z.boolean(),
})

/** A sync webhook's answer, and GET /hooks/{name}/jobs/{id}: the end (200) or `running` (202). */
export const webhookJobStatusReply = z.object({
  job_id: z.string(),
  trigger: z.string(),
  task: z.string(),
  status: z.enum(JOB_STATUSES),
  output: jsonDto.optional(),
})

export const workerRegisteredReply = z.object({
  worker_id: z.string(),
  worker_secret: z.string(),
  heartbeat_interval_secs: z.number(),
  lease_ttl_secs: z.number(),
  max_claim_wait_secs: z.number(),
})

export const workerStatusReply = z.object({ status: z.enum(WORKER_STATUSES) })

/** start and logs advance the lease: the next call carries `next_token`. */
export const leaseAdvancedReply = z.looseObject({ next_token: z.string() })

export const cancelCheckReply = z.object({
  cancel_requested: z.boolean(),
  reason: z.string().nullable(),
})

export const completeReply = z.object({ step_status: z.string(), job_status: z.enum(JOB_STATUSES) })

export const stateUploadReply = z.object({ snapshot_id: z.string(), job_id: z.string() })

/** A file a worker stored for its step (an artifact, a state archive). */
export const storedFileReply = z.looseObject({})
