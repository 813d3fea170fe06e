/**
 * `weir run <workspace>/<task>`: execute a task on a server (API.md §4.4), and with --follow
 * stream its log until it ends. `weir run --local <folder> <task>` runs it with no server: the
 * real app on a throwaway embedded database (run-local.ts).
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { coerceError } from '../../shared/errors.ts'
import { seg, type ApiClient, type TaskDetailDto } from '../api-client.ts'
import {
  CLIENT_HELP,
  CLIENT_OPTIONS,
  connect,
  runClient,
  UsageError,
  type Output,
} from '../client-command.ts'
import type { Command, CommandContext } from '../index.ts'
import { buildInput, fieldShapes, parseInputFile } from '../input-args.ts'
import { followJob } from '../job-follow.ts'
import { paint } from '../output-format.ts'

const OPTIONS = {
  ...CLIENT_OPTIONS,
  input: { type: 'string', short: 'i', multiple: true },
  'input-file': { type: 'string' },
  follow: { type: 'boolean', short: 'f' },
  local: { type: 'boolean' },
} as const

const USAGE =
  'weir run <workspace>/<task> [-i key=value]… [--input-file FILE] [--follow] [--json]\n' +
  '       weir run --local <folder> <task> [-i key=value]… [--input-file FILE] [--json]'

const SUMMARY = `Run a task. Prints the new job's id; with --follow, streams its log until the job ends.

  -i, --input key=value   an input field, typed by the task's schema (-i replicas=3 sends a
                          number, -i dry_run=false a boolean); repeat for more fields, and for
                          each item of a list field (or separate items with commas).
                          key:=<json> sends a JSON value as it is.
  --input-file FILE       a JSON object of input fields (- reads stdin); -i values win
  -f, --follow            stream the log; exit 0 if the job completed, 1 if it failed or was
                          cancelled. Ctrl-C offers to cancel the job (on a terminal it asks;
                          otherwise the first Ctrl-C cancels it and a second one stops waiting,
                          exit 130)
  --local                 run a task of a workspace folder with no server: a temporary
                          embedded database, the embedded worker; always follows
  --json                  print {"job_id"} (with --follow: the finished job's detail, the log
                          going to stderr)

Exit status: 0 started (with --follow: completed), 1 refused or not completed, 2 bad usage.
${CLIENT_HELP}`

export const runCommand: Command = {
  summary: SUMMARY,
  usage: USAGE,
  run: (ctx) =>
    runClient(ctx, { name: 'run', usage: USAGE }, async (io) => {
      const { values, positionals } = parseArgs({
        args: [...ctx.argv],
        options: OPTIONS,
        allowPositionals: true,
        strict: true,
      })
      const request = readRequest(ctx, values, positionals)
      if (!values.local) {
        const client = connect(values, ctx.env)
        return executeAndFollow(client, request, values.follow ?? false, io)
      }
      const { withLocalServer } = await import('../run-local.ts')
      return withLocalServer(
        { folder: request.workspace, task: request.task, ctx, io },
        (client, workspace) => executeAndFollow(client, { ...request, workspace }, true, io),
      )
    }),
}

interface RunRequest {
  /** The workspace name, or with --local the folder. */
  readonly workspace: string
  readonly task: string
  readonly inputArgs: ReadonlyArray<string>
  readonly fileInput: Readonly<Record<string, unknown>>
}

/** The task and the file input from the command line; every problem at once. */
function readRequest(
  ctx: CommandContext,
  values: {
    local?: boolean
    server?: string
    token?: string
    input?: string[]
    'input-file'?: string
  },
  positionals: ReadonlyArray<string>,
): RunRequest {
  const problems: string[] = []
  let workspace = ''
  let task = ''
  if (values.local) {
    if (positionals.length !== 2) problems.push('--local takes a workspace folder and a task name')
    else [workspace, task] = positionals as [string, string]
    if (values.server !== undefined || values.token !== undefined) {
      problems.push('--local runs without a server: leave out --server and --token')
    }
  } else if (positionals.length !== 1) {
    problems.push('expected one task as <workspace>/<task>')
  } else {
    const ref = positionals[0]!
    const slash = ref.indexOf('/')
    if (slash <= 0 || slash === ref.length - 1) {
      problems.push(`expected the task as <workspace>/<task>, got '${ref}'`)
    } else {
      workspace = ref.slice(0, slash)
      task = ref.slice(slash + 1)
    }
  }
  let fileInput: Record<string, unknown> = {}
  const file = values['input-file']
  if (file !== undefined) {
    const read = readInputText(ctx, file)
    const parsed = typeof read === 'string' ? parseInputFile(file, read) : read
    if (parsed.ok) fileInput = parsed.value
    else problems.push(parsed.problem)
  }
  if (problems.length > 0) throw new UsageError(problems)
  return { workspace, task, inputArgs: values.input ?? [], fileInput }
}

function readInputText(
  ctx: CommandContext,
  file: string,
): string | { readonly ok: false; readonly problem: string } {
  try {
    return readFileSync(file === '-' ? 0 : resolve(ctx.cwd, file), 'utf8')
  } catch (e) {
    const err = coerceError(e) as NodeJS.ErrnoException
    return {
      ok: false,
      problem: `--input-file ${file}: cannot read it (${err.code ?? err.message})`,
    }
  }
}

/**
 * The input for the request: with `-i` values, the task's schema is read first so each value
 * gets its declared type (an unknown task is then reported by that read).
 */
async function inputOf(client: ApiClient, r: RunRequest): Promise<Record<string, unknown>> {
  if (r.inputArgs.length === 0) return { ...r.fileInput }
  const task = await client.get<TaskDetailDto>(
    `/api/workspaces/${seg(r.workspace)}/tasks/${seg(r.task)}`,
  )
  const built = buildInput(r.inputArgs, fieldShapes(task.body.input), r.fileInput)
  if (!built.ok) throw new UsageError(built.problems)
  return built.input
}

async function executeAndFollow(
  client: ApiClient,
  r: RunRequest,
  follow: boolean,
  io: Output,
): Promise<number> {
  const input = await inputOf(client, r)
  const res = await client.post<{ job_id: string }>(
    `/api/workspaces/${seg(r.workspace)}/tasks/${seg(r.task)}/execute`,
    { input },
  )
  const jobId = res.body.job_id
  if (!follow) {
    if (io.json) io.document({ job_id: jobId })
    else {
      io.out(jobId)
      if (io.progress) io.err(paint('2', `follow it: weir logs ${jobId} --follow`, io.errColor))
    }
    return 0
  }
  io.err(paint('2', `job ${jobId} (${r.workspace}/${r.task})`, io.errColor))
  return followJob({ client, jobId, io })
}
