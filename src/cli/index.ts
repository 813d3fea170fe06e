/**
 * Command table of the `weir` CLI. Each command is imported lazily, so `weir worker` and
 * `weir validate` load no database code.
 */
import { coerceError } from '../shared/errors.ts'

export interface CommandContext {
  readonly argv: ReadonlyArray<string>
  readonly env: Readonly<Record<string, string | undefined>>
  readonly cwd: string
}

export interface Command {
  readonly summary: string
  readonly usage: string
  run(ctx: CommandContext): Promise<number>
}

const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./commands/serve.ts')).serveCommand,
  validate: async () => (await import('./commands/validate.ts')).validateCommand,
  migrate: async () => (await import('./commands/migrate.ts')).migrateCommand,
  logs: async () => (await import('./commands/logs.ts')).logsCommand,
  run: async () => (await import('./commands/run.ts')).runCommand,
  jobs: async () => (await import('./commands/jobs.ts')).jobsCommand,
  job: async () => (await import('./commands/jobs.ts')).jobCommand,
  cancel: async () => (await import('./commands/jobs.ts')).cancelCommand,
  retry: async () => (await import('./commands/jobs.ts')).retryCommand,
  approve: async () => (await import('./commands/approve.ts')).approveCommand,
  artifacts: async () => (await import('./commands/artifacts.ts')).artifactsCommand,
  tasks: async () => (await import('./commands/tasks.ts')).tasksCommand,
  workspaces: async () => (await import('./commands/tasks.ts')).workspacesCommand,
  users: async () => (await import('./commands/users.ts')).usersCommand,
  'api-keys': async () => (await import('./commands/api-keys.ts')).apiKeysCommand,
  worker: async () => (await import('./commands/worker.ts')).workerCommand,
  'worker-token': async () => (await import('./commands/worker-token.ts')).workerTokenCommand,
  prune: async () => (await import('./commands/prune.ts')).pruneCommand,
}

const GLOBAL_HELP = `weir — task orchestration server (Strøm-compatible workspaces)

Usage: weir <command> [options]

Using a server (--server URL or WEIR_SERVER, default http://127.0.0.1:8080; --token or
WEIR_TOKEN; --json for one JSON document on stdout):
  run          run a task: weir run <workspace>/<task> [-i key=value]… [--follow]
               (exit 0 when the job completed); weir run --local <folder> <task> needs no server
  jobs         list jobs (--workspace, --task, --status, --source, --limit)
  job          show a job and its steps
  logs         print a job's log, or follow it live (--follow)
  cancel       cancel a job
  retry        run a finished job again (--follow)
  approve      approve a waiting approval step (-i key=value), or --reject it
  artifacts    list a job's artifacts, or download one (weir artifacts <job-id> <name>)
  tasks        list tasks (all, or one workspace's); weir tasks <ws>/<task> shows its inputs
  workspaces   list workspaces

Running Weir:
  serve        run the HTTP server, scheduler and embedded worker (what \`npm start\` runs)
  validate     check workspace folders and print every problem (exit 1 on errors)
  migrate      apply database migrations and exit
  users        create or list users (in the database; no server needed)
  api-keys     create, list or revoke users' API keys (in the database)
  worker       run a remote worker that claims steps from a server over HTTP
  worker-token create, list or revoke enrollment tokens for remote workers (in the database)
  prune        delete old jobs and gone workers now, as retention does (--dry-run: only say what)

Run \`weir <command> --help\` for a command's options.
Configuration: server-config.yaml (or --config / WEIR_CONFIG); WEIR__SECTION__KEY env overrides.
`

export async function runCli(
  argv: ReadonlyArray<string>,
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(GLOBAL_HELP)
    return name === undefined ? 1 : 0
  }
  const load = COMMANDS[name]
  if (!load) {
    process.stderr.write(`weir: unknown command '${name}'\n\n${GLOBAL_HELP}`)
    return 1
  }
  const command = await load()
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.summary}\n\nUsage: ${command.usage}\n`)
    return 0
  }
  // What a command could not do is said in one line (a stack trace helps nobody at a prompt).
  try {
    return await command.run({ argv: rest, env, cwd: process.cwd() })
  } catch (e) {
    process.stderr.write(`weir ${name}: ${coerceError(e).message}\n`)
    return 1
  }
}
