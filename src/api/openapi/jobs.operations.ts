/** Jobs, their logs and the event stream (API.md §5, §6, §8). */
import { z } from 'zod'
import { jobDetailDto, jobSummaryDto } from '../job-dto.ts'
import { approveReply, cancelReply, jobCreatedReply, logsReply } from '../reply-dto.ts'
import { eventStreamParamsSchema } from '../routes/events.routes.ts'
import { approveBodySchema, jobListQuerySchema, noParamsBodySchema } from '../routes/jobs.routes.ts'
import { logsQuerySchema } from '../routes/logs.routes.ts'
import type { OperationSpec } from './operation-spec.ts'

const JOB = { id: 'The job id (a UUID)' }
const JOB_STEP = { ...JOB, step: "The step name (`_server` for Weir's own lines)" }

export const jobOperations: ReadonlyArray<OperationSpec> = [
  {
    method: 'GET',
    path: '/api/jobs',
    summary: 'List jobs, newest first',
    description:
      '`task_name` needs `workspace`; `status` takes a comma list. Page with `limit` and `offset` ' +
      '(at most 10,000), or with `cursor` (X-Next-Cursor of the previous page) at any depth.',
    tag: 'jobs',
    access: 'user',
    query: jobListQuerySchema,
    replies: {
      200: {
        description: 'One page of jobs',
        schema: z.array(jobSummaryDto),
        headers: ['X-Total-Count', 'X-Total-Count-Estimated', 'X-Next-Cursor'],
      },
    },
  },
  {
    method: 'GET',
    path: '/api/jobs/:id',
    summary: 'A job with every step (secrets masked)',
    tag: 'jobs',
    access: 'user',
    params: JOB,
    replies: { 200: { description: 'The job', schema: jobDetailDto } },
  },
  {
    method: 'POST',
    path: '/api/jobs/:id/cancel',
    summary: 'Cancel a job',
    tag: 'jobs',
    access: 'user',
    params: JOB,
    body: { schema: noParamsBodySchema },
    replies: {
      200: { description: 'Cancelled at once (nothing was running)', schema: cancelReply },
      202: { description: 'Cancelling: running steps are being stopped', schema: cancelReply },
      409: { description: 'The job has already finished' },
    },
  },
  {
    method: 'POST',
    path: '/api/jobs/:id/steps/:step/approve',
    summary: 'Approve or reject a suspended approval step',
    tag: 'jobs',
    access: 'user',
    params: JOB_STEP,
    body: {
      schema: approveBodySchema,
      required: true,
      example: { approved: true, input: { ticket: 'CHG-1042' } },
    },
    replies: { 200: { description: 'The decision was recorded', schema: approveReply } },
  },
  {
    method: 'POST',
    path: '/api/jobs/:id/retry',
    summary: 'Run a finished job again with the same input (a new job)',
    tag: 'jobs',
    access: 'user',
    params: JOB,
    body: { schema: noParamsBodySchema },
    replies: { 200: { description: 'The new job', schema: jobCreatedReply } },
  },
  {
    method: 'GET',
    path: '/api/jobs/:id/logs',
    summary: "A job's log as JSONL",
    tag: 'logs',
    access: 'user',
    params: JOB,
    query: logsQuerySchema,
    replies: { 200: { description: 'Lines after `after_seq`', schema: logsReply } },
  },
  {
    method: 'GET',
    path: '/api/jobs/:id/steps/:step/logs',
    summary: "One step's log lines as JSONL",
    tag: 'logs',
    access: 'user',
    params: JOB_STEP,
    query: logsQuerySchema,
    replies: { 200: { description: 'Lines after `after_seq`', schema: logsReply } },
  },
  {
    method: 'GET',
    path: '/api/jobs/:id/logs/stream',
    summary: 'The live log over WebSocket (API.md §6.3)',
    description:
      'Upgrade to a WebSocket: every stored line, then new ones, then an end marker. ' +
      '`?after_seq=N` resumes, `?step=NAME` filters. A plain GET answers 426.',
    tag: 'logs',
    access: 'user',
    params: JOB,
    replies: {
      101: { description: 'Switching to the WebSocket protocol' },
      426: { description: 'Not a WebSocket upgrade' },
    },
  },
  {
    method: 'GET',
    path: '/api/events',
    summary: 'Job, step and trigger events as server-sent events',
    description: 'After a disconnect, `Last-Event-ID` (or `?last_event_id=`) resumes.',
    tag: 'events',
    access: 'user',
    query: eventStreamParamsSchema,
    headers: [
      { name: 'Last-Event-ID', description: 'The last event id received: resume after it' },
    ],
    replies: { 200: { description: 'The stream', contentType: 'text/event-stream' } },
  },
]
