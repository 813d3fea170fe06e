/**
 * What every command that talks to a server shares: the `--server`, `--token` and `--json`
 * options, where output goes (people: text, colours on a terminal; scripts: one JSON document on
 * stdout) and how failures print and map to exit codes (0 done, 1 refused or failed, 2 usage).
 */
import { parseArgs } from 'node:util'
import {
  ApiError,
  createApiClient,
  serverSettings,
  UnreachableError,
  type ApiClient,
} from './api-client.ts'
import { coerceError } from '../shared/errors.ts'
import type { CommandContext } from './index.ts'
import { formatApiError } from './output-format.ts'

export const CLIENT_OPTIONS = {
  server: { type: 'string', short: 's' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

export const CLIENT_HELP = [
  'Server: --server URL, else WEIR_SERVER, else http://127.0.0.1:8080.',
  'Credentials: --token, else WEIR_TOKEN (an API key or an access token).',
  '--json prints one JSON document on stdout for scripts. Colours only on a terminal (NO_COLOR).',
].join('\n')

/** The arguments of a command that takes only the client options and positionals. */
export function parseClientArgs(argv: ReadonlyArray<string>) {
  return parseArgs({
    args: [...argv],
    options: CLIENT_OPTIONS,
    allowPositionals: true,
    strict: true,
  })
}

/** Exit status of a bad command line. */
export const USAGE_EXIT = 2

/** A problem with the command line; every problem is listed, then exit 2. */
export class UsageError extends Error {
  readonly problems: ReadonlyArray<string>
  constructor(problems: ReadonlyArray<string>) {
    super(problems.join('\n'))
    this.name = 'UsageError'
    this.problems = problems
  }
}

/** Where a command prints: text for people, or one JSON document with `--json`. */
export interface Output {
  readonly json: boolean
  /** Colours on stdout / stderr (each a terminal, NO_COLOR unset, TERM not dumb). */
  readonly color: boolean
  readonly errColor: boolean
  /** stdin and stderr are terminals: the command may ask a question. */
  readonly interactive: boolean
  /** stderr is a terminal that can redraw a status line. */
  readonly progress: boolean
  readonly stdout: NodeJS.WriteStream
  readonly stderr: NodeJS.WriteStream
  out(text: string): void
  err(text: string): void
  document(value: unknown): void
}

function colours(stream: NodeJS.WriteStream, env: CommandContext['env']): boolean {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== ''
  return stream.isTTY === true && !noColor && env.TERM !== 'dumb'
}

export function createOutput(env: CommandContext['env'], json: boolean): Output {
  const { stdout, stderr, stdin } = process
  return {
    json,
    color: !json && colours(stdout, env),
    errColor: colours(stderr, env),
    interactive: stdin.isTTY === true && stderr.isTTY === true,
    progress: stderr.isTTY === true && env.TERM !== 'dumb',
    stdout,
    stderr,
    out: (text) => stdout.write(`${text}\n`),
    err: (text) => stderr.write(`${text}\n`),
    document: (value) => stdout.write(`${JSON.stringify(value, null, 2)}\n`),
  }
}

/** The API client for `--server`/`--token` (or their environment variables). */
export function connect(
  values: { readonly server?: string; readonly token?: string },
  env: CommandContext['env'],
): ApiClient {
  const settings = serverSettings(values, env)
  if (typeof settings === 'string') throw new UsageError([settings])
  return createApiClient(settings)
}

/**
 * Runs a client command's body and turns its failures into messages and exit statuses: a bad
 * command line (parseArgs or UsageError) 2, a refused request (the server's error with its
 * field) or an unreachable server 1.
 */
export async function runClient(
  ctx: CommandContext,
  command: { readonly name: string; readonly usage: string },
  body: (io: Output) => Promise<number>,
): Promise<number> {
  const io = createOutput(ctx.env, ctx.argv.includes('--json'))
  const label = `weir ${command.name}`
  try {
    return await body(io)
  } catch (e) {
    if (e instanceof UsageError || isParseArgsError(e)) {
      const problems = e instanceof UsageError ? e.problems : [(e as Error).message]
      for (const p of problems) io.err(`${label}: ${p}`)
      io.err(`usage: ${command.usage}\nRun \`weir ${command.name} --help\` for the options.`)
      return USAGE_EXIT
    }
    if (e instanceof ApiError) {
      if (io.json) io.document(e.toJSON())
      io.err(formatApiError(label, e))
      return 1
    }
    if (e instanceof UnreachableError) {
      if (io.json) io.document({ error: e.message, code: 'unreachable', field: null, status: null })
      io.err(`${label}: ${e.message}; set --server or WEIR_SERVER`)
      return 1
    }
    io.err(`${label}: ${coerceError(e).message}`)
    return 1
  }
}

function isParseArgsError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')
}
