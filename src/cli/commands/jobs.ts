/**
 * Jobs on a server (API.md §5): `weir jobs` lists them, `weir job` shows one with its steps,
 * `weir cancel` and `weir retry` act on one.
 */
import { parseArgs } from 'node:util'
import { systemClock } from '../../shared/clock.ts'
import { seg, type JobDetailDto, type JobSummaryDto } from '../api-client.ts'
import {
  CLIENT_HELP,
  CLIENT_OPTIONS,
  connect,
  parseClientArgs,
  runClient,
  UsageError,
} from '../client-command.ts'
import type { Command } from '../index.ts'
import { followJob } from '../job-follow.ts'
import { formatJobDetail, formatJobList, paintStatus } from '../output-format.ts'

const DEFAULT_LIMIT = 20
const MAX_LIMIT = 500

const LIST_OPTIONS = {
  ...CLIENT_OPTIONS,
  workspace: { type: 'string', short: 'w' },
  task: { type: 'string', short: 't' },
  status: { type: 'string' },
  source: { type: 'string' },
  limit: { type: 'string', short: 'n' },
} as const

const LIST_USAGE =
  'weir jobs [--workspace W] [--task T | --task W/T] [--status S[,S…]] [--source TYPE] [--limit N] [--json]'

export interface JobFilters {
  readonly workspace?: string
  readonly task?: string
  readonly status?: string
  readonly source?: string
  readonly limit?: string
}

/** The query of `GET /api/jobs` for the filters; every problem at once. */
export function jobListQuery(f: JobFilters): Record<string, string | number | undefined> {
  const problems: string[] = []
  let workspace = f.workspace
  let task = f.task
  const slash = task?.indexOf('/') ?? -1
  if (task !== undefined && slash > 0) {
    const ws = task.slice(0, slash)
    if (workspace !== undefined && workspace !== ws) {
      problems.push(`--task ${task} names workspace '${ws}' but --workspace is '${workspace}'`)
    }
    workspace = ws
    task = task.slice(slash + 1)
  } else if (task !== undefined && workspace === undefined) {
    problems.push('--task needs --workspace (or write --task <workspace>/<task>)')
  }
  const rawLimit = f.limit ?? String(DEFAULT_LIMIT)
  const limit = Number(rawLimit)
  if (!/^\d+$/.test(rawLimit) || limit < 1 || limit > MAX_LIMIT) {
    problems.push(`--limit must be a whole number from 1 to ${MAX_LIMIT}, got '${rawLimit}'`)
  }
  if (problems.length > 0) throw new UsageError(problems)
  return {
    workspace,
    task_name: task,
    status: f.status,
    source_type: f.source,
    limit,
  }
}

export const jobsCommand: Command = {
  summary: `List jobs, newest first.

  -w, --workspace W   only this workspace's jobs
  -t, --task T        only this task's jobs (with --workspace, or as W/T)
  --status S          pending, running, completed, failed, cancelled (a comma list for several)
  --source TYPE       api, user, trigger, webhook, hook, task or rerun
  -n, --limit N       how many (default ${DEFAULT_LIMIT}, at most ${MAX_LIMIT})
  --json              the jobs as a JSON array (API.md §5.1)

${CLIENT_HELP}`,
  usage: LIST_USAGE,
  run: (ctx) =>
    runClient(ctx, { name: 'jobs', usage: LIST_USAGE }, async (io) => {
      const { values } = parseArgs({
        args: [...ctx.argv],
        options: LIST_OPTIONS,
        allowPositionals: false,
        strict: true,
      })
      const query = jobListQuery(values)
      const client = connect(values, ctx.env)
      const res = await client.get<JobSummaryDto[]>('/api/jobs', query)
      if (io.json) {
        io.document(res.body)
        return 0
      }
      const total = res.headers.get('x-total-count')
      io.out(
        formatJobList(res.body, {
          color: io.color,
          nowMs: systemClock.nowMs(),
          total: total === null ? null : Number(total),
        }),
      )
      return 0
    }),
}

/** The one job id a command takes; a usage problem otherwise. */
function oneJobId(positionals: ReadonlyArray<string>): string {
  if (positionals.length !== 1) throw new UsageError(['expected one job id'])
  return positionals[0]!
}

const JOB_USAGE = 'weir job <job-id> [--json]'

export const jobCommand: Command = {
  summary: `Show a job: status, input, output and every step (--json: the detail of API.md §5.2).

${CLIENT_HELP}`,
  usage: JOB_USAGE,
  run: (ctx) =>
    runClient(ctx, { name: 'job', usage: JOB_USAGE }, async (io) => {
      const { values, positionals } = parseClientArgs(ctx.argv)
      const jobId = oneJobId(positionals)
      const client = connect(values, ctx.env)
      const job = (await client.get<JobDetailDto>(`/api/jobs/${seg(jobId)}`)).body
      if (io.json) io.document(job)
      else io.out(formatJobDetail(job, { color: io.color, nowMs: systemClock.nowMs() }))
      return 0
    }),
}

const CANCEL_USAGE = 'weir cancel <job-id> [--json]'

export const cancelCommand: Command = {
  summary: `Cancel a job. Pending steps are cancelled at once; running ones are stopped, and the
job ends cancelled once they have. Exit 1 if the job had already finished.

${CLIENT_HELP}`,
  usage: CANCEL_USAGE,
  run: (ctx) =>
    runClient(ctx, { name: 'cancel', usage: CANCEL_USAGE }, async (io) => {
      const { values, positionals } = parseClientArgs(ctx.argv)
      const jobId = oneJobId(positionals)
      const client = connect(values, ctx.env)
      const res = await client.post<{ status: string }>(`/api/jobs/${seg(jobId)}/cancel`)
      if (io.json) io.document(res.body)
      else if (res.body.status === 'cancelled') {
        io.out(`job ${jobId} ${paintStatus('cancelled', io.color)}`)
      } else io.out(`job ${jobId}: cancel requested; its running steps are stopping`)
      return 0
    }),
}

const RETRY_OPTIONS = { ...CLIENT_OPTIONS, follow: { type: 'boolean', short: 'f' } } as const
const RETRY_USAGE = 'weir retry <job-id> [--follow] [--json]'

export const retryCommand: Command = {
  summary: `Run a finished job again as a new job with the same input; prints the new job's id.
With --follow, streams its log as \`weir run --follow\` does (same exit status and Ctrl-C).

${CLIENT_HELP}`,
  usage: RETRY_USAGE,
  run: (ctx) =>
    runClient(ctx, { name: 'retry', usage: RETRY_USAGE }, async (io) => {
      const { values, positionals } = parseArgs({
        args: [...ctx.argv],
        options: RETRY_OPTIONS,
        allowPositionals: true,
        strict: true,
      })
      const jobId = oneJobId(positionals)
      const client = connect(values, ctx.env)
      const res = await client.post<{ job_id: string }>(`/api/jobs/${seg(jobId)}/retry`)
      const newId = res.body.job_id
      if (values.follow) return followJob({ client, jobId: newId, io })
      if (io.json) io.document(res.body)
      else io.out(newId)
      return 0
    }),
}
