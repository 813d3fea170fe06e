/** Streams of bytes: job artifacts, task state uploads and a remote worker's step files. */
import { z } from 'zod'
import { artifactDto, stateUploadReply, storedFileReply } from '../reply-dto.ts'
import type { HeaderParam, OperationSpec } from './operation-spec.ts'

const JOB = { id: 'The job id (a UUID)' }
const STEP = { jobId: 'The job id', step: 'The step name' }
const LEASE: HeaderParam = {
  name: 'X-Lease-Token',
  description: "A lease token of the step's attempt (the current one or the one just consumed)",
  required: true,
}
const SCOPE = { scope: '`task` or `global`' }
const TAR = { contentType: 'application/gzip', description: 'A gzip tar archive (may be empty)' }
const STATE_UPLOAD =
  '`mode=replace|merge`; every other query parameter is a string value of state.json. ' +
  'Recorded as a completed job of source type `upload`.'

export const fileOperations: ReadonlyArray<OperationSpec> = [
  {
    method: 'GET',
    path: '/api/jobs/:id/artifacts',
    summary: "A job's artifacts",
    tag: 'artifacts',
    access: 'user',
    params: JOB,
    replies: { 200: { description: 'The artifacts', schema: z.array(artifactDto) } },
  },
  {
    method: 'GET',
    path: '/api/jobs/:id/artifacts/*name',
    summary: 'Download an artifact (whole, or a byte range)',
    tag: 'artifacts',
    access: 'user',
    params: { ...JOB, name: 'The artifact name (may contain slashes)' },
    headers: [{ name: 'Range', description: 'One byte range: `bytes=0-1023`' }],
    replies: {
      200: {
        description: 'The file',
        contentType: 'application/octet-stream',
        headers: ['Content-Disposition'],
      },
      206: {
        description: 'The range',
        contentType: 'application/octet-stream',
        headers: ['Content-Range'],
      },
      416: { description: 'The range is outside the file', headers: ['Content-Range'] },
    },
  },
  {
    method: 'POST',
    path: '/api/workspaces/:ws/tasks/:task/state',
    summary: "Upload a task's state",
    description: STATE_UPLOAD,
    tag: 'state',
    access: 'user',
    params: { ws: 'The workspace name', task: 'The task name' },
    body: TAR,
    replies: { 201: { description: 'The snapshot and its upload job', schema: stateUploadReply } },
  },
  {
    method: 'POST',
    path: '/api/workspaces/:ws/state',
    summary: "Upload a workspace's global state",
    description: STATE_UPLOAD,
    tag: 'state',
    access: 'admin',
    params: { ws: 'The workspace name' },
    body: TAR,
    replies: { 201: { description: 'The snapshot and its upload job', schema: stateUploadReply } },
  },
  {
    method: 'POST',
    path: '/worker/jobs/:jobId/steps/:step/artifacts/*name',
    summary: 'Store an artifact of the step',
    tag: 'worker protocol',
    access: 'worker',
    params: { ...STEP, name: 'The artifact name (may contain slashes)' },
    headers: [LEASE],
    body: { contentType: 'application/octet-stream', description: 'The file' },
    replies: { 201: { description: 'Stored', schema: storedFileReply } },
  },
  {
    method: 'DELETE',
    path: '/worker/jobs/:jobId/steps/:step/artifacts',
    summary: "Discard the attempt's artifacts",
    tag: 'worker protocol',
    access: 'worker',
    params: STEP,
    headers: [LEASE],
    replies: { 204: { description: 'Discarded' } },
  },
  {
    method: 'POST',
    path: '/worker/jobs/:jobId/steps/:step/state/:scope',
    summary: "Store the step's task or global state",
    tag: 'worker protocol',
    access: 'worker',
    params: { ...STEP, ...SCOPE },
    headers: [LEASE],
    body: TAR,
    replies: { 201: { description: 'Stored', schema: storedFileReply } },
  },
  {
    method: 'GET',
    path: '/worker/jobs/:jobId/steps/:step/state/:scope/:snapshotId',
    summary: 'Fetch the files of a state snapshot the step starts from',
    tag: 'worker protocol',
    access: 'worker',
    params: { ...STEP, ...SCOPE, snapshotId: 'The snapshot id from the claim' },
    headers: [LEASE],
    replies: {
      200: { description: 'A gzip tar archive', contentType: 'application/gzip' },
      204: { description: 'The snapshot has no files' },
    },
  },
]
