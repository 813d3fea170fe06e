/** Workspaces, tasks, triggers, execute and task stats (API.md §4). */
import { z } from 'zod'
import { taskDetailDto, taskSummaryDto, triggerDto, workspaceDto } from '../dto.ts'
import { jobCreatedReply, taskStatsReply } from '../reply-dto.ts'
import { executeBodySchema } from '../routes/execute.ts'
import { taskStatsQuery } from '../routes/stats.routes.ts'
import type { OperationSpec } from './operation-spec.ts'

const WS = { ws: 'The workspace name' }
const TASK = { ...WS, task: 'The task name' }

export const workspaceOperations: ReadonlyArray<OperationSpec> = [
  {
    method: 'GET',
    path: '/api/workspaces',
    summary: 'Workspaces, with the problems of a failed load',
    tag: 'workspaces',
    access: 'user',
    replies: { 200: { description: 'Every workspace', schema: z.array(workspaceDto) } },
  },
  {
    method: 'POST',
    path: '/api/workspaces/:ws/refresh',
    summary: 'Reload a workspace from its source now',
    tag: 'workspaces',
    access: 'user',
    params: WS,
    replies: { 200: { description: 'The workspace after the reload', schema: workspaceDto } },
  },
  {
    method: 'GET',
    path: '/api/tasks',
    summary: 'Tasks of every workspace',
    tag: 'workspaces',
    access: 'user',
    replies: { 200: { description: 'Every task', schema: z.array(taskSummaryDto) } },
  },
  {
    method: 'GET',
    path: '/api/workspaces/:ws/tasks',
    summary: "A workspace's tasks",
    tag: 'workspaces',
    access: 'user',
    params: WS,
    replies: { 200: { description: 'The tasks, by name', schema: z.array(taskSummaryDto) } },
  },
  {
    method: 'GET',
    path: '/api/workspaces/:ws/tasks/:task',
    summary: 'A task: input schema, flow, triggers with their next runs',
    tag: 'workspaces',
    access: 'user',
    params: TASK,
    replies: { 200: { description: 'The task', schema: taskDetailDto } },
  },
  {
    method: 'GET',
    path: '/api/workspaces/:ws/triggers',
    summary: "A workspace's triggers with their next runs and last fire",
    tag: 'workspaces',
    access: 'user',
    params: WS,
    replies: { 200: { description: 'The triggers, by name', schema: z.array(triggerDto) } },
  },
  {
    method: 'POST',
    path: '/api/workspaces/:ws/tasks/:task/execute',
    summary: 'Run a task',
    description:
      "`input` is checked strictly against the task's input schema; every bad field is named. " +
      'With `source_job_id` the job is a re-run of that one.',
    tag: 'jobs',
    access: 'user',
    params: TASK,
    headers: [
      {
        name: 'Idempotency-Key',
        description: '1-200 visible ASCII characters: a repeat returns the first job',
      },
    ],
    body: { schema: executeBodySchema, example: { input: { name: 'World' } } },
    replies: {
      200: { description: 'The job and all its steps are stored', schema: jobCreatedReply },
    },
  },
  {
    method: 'GET',
    path: '/api/workspaces/:ws/tasks/:task/stats',
    summary: "A task's durations over its last completed jobs",
    tag: 'stats',
    access: 'user',
    params: TASK,
    query: taskStatsQuery,
    replies: {
      200: { description: 'Durations of the task and of each step', schema: taskStatsReply },
    },
  },
]
