/**
 * Request bodies of the remote worker protocol (API.md §11.2, §11.5), for its two route files
 * and the operator's drain and undrain. Strict at the top level (an unknown field is named in the
 * 400); entries of `running` and `lines` are read leniently. Outputs are camelCase, as the worker
 * lifecycle and the step calls take them. These are parsed a few hundred times a second on the
 * claim, logs and complete path, so each schema is built once, never per request.
 */
import { z } from 'zod'
import { isUuid } from '../../shared/ids.ts'
import { splitUtf8 } from '../../shared/utf8.ts'
import { WORKER_CAPABILITIES } from '../../workers/worker-record.ts'
import { intBetween, numberBetween } from '../zod-issues.ts'

export const MAX_TAGS = 32
export const MAX_LOG_LINES = 1000
export const MAX_ERROR_MESSAGE_BYTES = 64 * 1024
const MAX_RUNNING = 1000
const WORKER_NAME = /^[A-Za-z0-9_.-]{1,64}$/

const unique = (list: ReadonlyArray<string>): string[] => [...new Set(list)]

export const registerBodySchema = z
  .strictObject({
    name: z.string().regex(WORKER_NAME, {
      error: (iss) =>
        `expected 1-64 characters of A-Z a-z 0-9 _ . -, got ${JSON.stringify(iss.input)}`,
    }),
    hostname: z.string().max(255).nullish(),
    version: z.string().max(64).nullish(),
    capabilities: z.array(z.enum(WORKER_CAPABILITIES)).min(1),
    tags: z.array(z.string().min(1).max(64)).max(MAX_TAGS).default([]),
    max_concurrency: intBetween(1, 64),
  })
  .transform((b) => ({
    name: b.name,
    hostname: b.hostname ?? null,
    version: b.version ?? null,
    capabilities: unique(b.capabilities),
    tags: unique(b.tags),
    maxConcurrency: b.max_concurrency,
  }))

const runningStep = z.object({
  job_id: z.string().refine(isUuid, { error: 'expected a job id (lowercase UUID)' }),
  step_name: z.string().min(1),
})

export const heartbeatBodySchema = z
  .strictObject({
    boot_id: z.string().min(1).max(128),
    running: z.array(runningStep).max(MAX_RUNNING).default([]),
  })
  .transform((b) => ({
    bootId: b.boot_id,
    running: b.running.map((r) => ({ jobId: r.job_id, stepName: r.step_name })),
  }))

/** `wait_secs` of a claim: 0 to the server's longest wait, default min(25, longest). */
export function claimBodySchema(maxWaitSecs: number) {
  return z
    .strictObject({ wait_secs: numberBetween(0, maxWaitSecs).nullish() })
    .transform((b) => ({ waitSecs: b.wait_secs ?? Math.min(25, maxWaitSecs) }))
}

/** `drain`, by the worker itself or by an operator. */
export const reasonBodySchema = z
  .strictObject({ reason: z.string().max(1000).nullish() })
  .transform((b) => ({ reason: b.reason ?? null }))

/** Calls that take no parameters: `{}` or no body at all. */
export const emptyBodySchema = z.strictObject({})

/** 1 for a lease's first mutating call, then +1 per call (API.md §11.4). */
const seq = z.int().min(1)

export const seqBodySchema = z.strictObject({ seq })

const logLine = z.object({
  ts: z.string().transform((ts, ctx) => {
    const ms = Date.parse(ts)
    if (!Number.isNaN(ms)) return new Date(ms).toISOString()
    ctx.addIssue({ code: 'custom', message: 'expected an RFC 3339 timestamp' })
    return z.NEVER
  }),
  stream: z.enum(['stdout', 'stderr']),
  line: z.string(),
})

export const logsBodySchema = z.strictObject({
  seq,
  lines: z.array(logLine).min(1).max(MAX_LOG_LINES),
})

/**
 * `lines` (the step's last output lines, stored before the result) and `claim_next` (answer with
 * the next step this worker may run) save a log push and a claim per step; a worker sends them
 * only to a server whose claims list them in `lease.complete_fields`.
 */
export const completeBodySchema = z
  .strictObject({
    seq,
    status: z.enum(['completed', 'failed', 'cancelled']),
    exit_code: z.int().nullish(),
    output: z.unknown().optional(),
    error_message: z.string().nullish(),
    lines: z.array(logLine).max(MAX_LOG_LINES).nullish(),
    claim_next: z.boolean().nullish(),
  })
  .transform((b) => ({
    seq: b.seq,
    status: b.status,
    lines: b.lines ?? [],
    claimNext: b.claim_next ?? false,
    exitCode: b.exit_code ?? null,
    output: b.output === undefined ? null : b.output,
    errorMessage:
      b.error_message === undefined || b.error_message === null
        ? null
        : // The first piece is the longest prefix within the limit that splits no character.
          splitUtf8(b.error_message, MAX_ERROR_MESSAGE_BYTES)[0]!,
  }))
