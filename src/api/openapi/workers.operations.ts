/** Workers (API.md §7.2, §7.3) and the remote worker protocol (§11). */
import { z } from 'zod'
import {
  cancelCheckReply,
  completeReply,
  leaseAdvancedReply,
  workerRegisteredReply,
  workerStatusReply,
} from '../reply-dto.ts'
import { workerListQuerySchema } from '../routes/workers.routes.ts'
import {
  claimBodySchema,
  completeBodySchema,
  emptyBodySchema,
  heartbeatBodySchema,
  logsBodySchema,
  reasonBodySchema,
  registerBodySchema,
  seqBodySchema,
} from '../routes/worker-protocol.schemas.ts'
import { archiveQuerySchema } from '../routes/worker-archives.routes.ts'
import { claimDto, heartbeatDto, workerDetailDto, workerDto } from '../worker-dto.ts'
import type { HeaderParam, OperationSpec } from './operation-spec.ts'

const WORKER = { id: 'The worker id (a UUID)' }
const IF_NONE_MATCH: HeaderParam = {
  name: 'If-None-Match',
  description: 'The quoted revision the worker already has: 304 when it is this one',
}

/** The files of a workspace or library revision (a remote worker's `source:` scripts). */
function archive(path: string, param: string, what: string): OperationSpec {
  return {
    method: 'GET',
    path,
    summary: `The files of a ${what} revision`,
    description:
      `A gzip tar of the ${what}'s files at \`revision\` (\`.git\` left out), streamed. ` +
      `404 for an unknown ${what} or a revision the server no longer keeps; 409 for an older ` +
      `revision of a folder source, whose files have changed since.`,
    tag: 'worker protocol',
    access: 'worker',
    params: { [param]: `The ${what} name` },
    query: archiveQuerySchema,
    headers: [IF_NONE_MATCH],
    replies: {
      200: {
        description: 'A gzip tar archive',
        contentType: 'application/gzip',
        headers: ['ETag'],
      },
      304: { description: 'The worker has this revision already', headers: ['ETag'] },
      404: { description: 'Unknown, or the revision is no longer kept' },
      409: { description: 'The folder changed since that revision' },
    },
  }
}
const STEP = { jobId: 'The job id', step: 'The step name' }
const LEASE: HeaderParam = {
  name: 'X-Lease-Token',
  description: 'The current lease token of the step (API.md §11.4)',
  required: true,
}

/** One step call under a lease. */
function stepCall(call: string, summary: string, rest: Partial<OperationSpec>): OperationSpec {
  return {
    method: 'POST',
    path: `/worker/jobs/:jobId/steps/:step/${call}`,
    summary,
    tag: 'worker protocol',
    access: 'worker',
    params: STEP,
    headers: [LEASE],
    replies: {},
    ...rest,
  }
}

export function workerOperations(maxClaimWaitSecs: number): ReadonlyArray<OperationSpec> {
  return [
    {
      method: 'GET',
      path: '/api/workers',
      summary: 'Workers',
      tag: 'workers',
      access: 'user',
      query: workerListQuerySchema,
      replies: {
        200: {
          description: 'One page of workers',
          schema: z.array(workerDto),
          headers: ['X-Total-Count', 'X-Total-Count-Estimated'],
        },
      },
    },
    {
      method: 'GET',
      path: '/api/workers/:id',
      summary: 'A worker with the steps it ran lately',
      tag: 'workers',
      access: 'user',
      params: WORKER,
      replies: { 200: { description: 'The worker', schema: workerDetailDto } },
    },
    {
      method: 'POST',
      path: '/api/workers/:id/drain',
      summary: 'Stop a worker from claiming new steps',
      tag: 'workers',
      access: 'admin',
      params: WORKER,
      body: { schema: reasonBodySchema, example: { reason: 'kernel upgrade' } },
      replies: { 200: { description: 'The worker, draining', schema: workerDto } },
    },
    {
      method: 'POST',
      path: '/api/workers/:id/undrain',
      summary: 'Clear a drain',
      tag: 'workers',
      access: 'admin',
      params: WORKER,
      body: { schema: emptyBodySchema },
      replies: { 200: { description: 'The worker, active', schema: workerDto } },
    },
    {
      method: 'DELETE',
      path: '/api/workers/:id',
      summary: 'Revoke a worker: its running steps fail now, its secret stops working',
      tag: 'workers',
      access: 'admin',
      params: WORKER,
      replies: { 200: { description: 'The worker, revoked', schema: workerDto } },
    },
    {
      method: 'POST',
      path: '/worker/register',
      summary: 'Register a worker',
      tag: 'worker protocol',
      access: 'enrollment',
      body: {
        schema: registerBodySchema,
        required: true,
        example: {
          name: 'build-01',
          capabilities: ['script'],
          tags: ['linux'],
          max_concurrency: 4,
        },
      },
      replies: {
        201: {
          description: 'The worker id and secret, and timings',
          schema: workerRegisteredReply,
        },
      },
    },
    {
      method: 'POST',
      path: '/worker/heartbeat',
      summary: 'Heartbeat: renews leases, says what to stop',
      tag: 'worker protocol',
      access: 'worker',
      body: {
        schema: heartbeatBodySchema,
        required: true,
        example: { boot_id: 'b1', running: [] },
      },
      replies: { 200: { description: 'Leases and steps to stop', schema: heartbeatDto } },
    },
    {
      method: 'POST',
      path: '/worker/claim',
      summary: 'Claim a step (long poll up to wait_secs)',
      tag: 'worker protocol',
      access: 'worker',
      body: { schema: claimBodySchema(maxClaimWaitSecs), example: { wait_secs: 25 } },
      replies: {
        200: { description: 'A claimed step, rendered', schema: claimDto },
        204: { description: 'Nothing to run within the wait' },
      },
    },
    {
      method: 'POST',
      path: '/worker/drain',
      summary: 'The worker stops claiming',
      tag: 'worker protocol',
      access: 'worker',
      body: { schema: reasonBodySchema },
      replies: { 200: { description: 'Draining', schema: workerStatusReply } },
    },
    {
      method: 'POST',
      path: '/worker/undrain',
      summary: 'The worker claims again',
      tag: 'worker protocol',
      access: 'worker',
      body: { schema: emptyBodySchema },
      replies: { 200: { description: 'Active', schema: workerStatusReply } },
    },
    {
      method: 'POST',
      path: '/worker/deregister',
      summary: 'The worker leaves',
      tag: 'worker protocol',
      access: 'worker',
      body: { schema: emptyBodySchema },
      replies: { 204: { description: 'Deregistered' } },
    },
    archive('/worker/workspaces/:ws/archive', 'ws', 'workspace'),
    archive('/worker/libraries/:lib/archive', 'lib', 'library'),
    stepCall('start', 'The step started', {
      body: { schema: seqBodySchema, required: true, example: { seq: 1 } },
      replies: { 200: { description: 'The next lease token', schema: leaseAdvancedReply } },
    }),
    stepCall('logs', 'Append log lines', {
      body: {
        schema: logsBodySchema,
        required: true,
        example: { seq: 2, lines: [{ ts: '2025-01-01T00:00:00Z', stream: 'stdout', line: 'hi' }] },
      },
      replies: {
        200: { description: 'Accepted; the next lease token', schema: leaseAdvancedReply },
      },
    }),
    stepCall('cancel-check', 'Whether the step should stop', {
      body: { schema: emptyBodySchema },
      replies: { 200: { description: 'Cancel requested or not', schema: cancelCheckReply } },
    }),
    stepCall('complete', 'The attempt ended', {
      description:
        'Optional `lines` are the last output lines of the step, stored before the result (a ' +
        'short step needs no log push at all). With `claim_next: true` the reply carries ' +
        '`next_claim`: the next step this worker may run, claimed as `/worker/claim` would (null ' +
        'when none is ready). A worker sends these fields only when its claim listed them in ' +
        '`lease.complete_fields`.',
      body: {
        schema: completeBodySchema,
        required: true,
        example: {
          seq: 3,
          status: 'completed',
          exit_code: 0,
          output: { ok: true },
          lines: [{ ts: '2025-01-01T00:00:00Z', stream: 'stdout', line: 'done' }],
          claim_next: true,
        },
      },
      replies: {
        200: {
          description: 'The step and job status after it, and the next claim when asked',
          schema: completeReply.extend({ next_claim: claimDto.nullish() }),
        },
      },
    }),
  ]
}
