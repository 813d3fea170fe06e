/**
 * Settings of `weir worker` from its flags and environment (flags win): pure, so every rule is
 * tested without a process. Every problem is reported at once, naming the flag or variable.
 */
import { isAbsolute, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_DOCKER_HOST, parseDockerHost } from '../shared/docker-host.ts'

export type WorkerLogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export interface WorkerConfig {
  /** Base URL of the Weir server, without a trailing slash. */
  readonly server: string
  /** Enrollment token for `POST /worker/register`. */
  readonly token: string
  readonly name: string
  readonly concurrency: number
  readonly tags: ReadonlyArray<string>
  readonly capabilities: ReadonlyArray<string>
  /**
   * No capabilities were given: `docker` is added when the Docker Engine answers at start.
   * Given ones are kept as they are (a listed `docker` without an engine stops the start).
   */
  readonly detectDocker: boolean
  /** The Docker Engine for container steps and the image `runner: docker` scripts default to. */
  readonly docker: {
    readonly host: string
    readonly runnerImage: string
    /** The containers' network mode; null: the engine's default. */
    readonly network: string | null
  }
  /** Folder of the state file `<name>.json` holding the worker id and secret. */
  readonly stateDir: string
  /** Workspace name -> absolute local folder, for steps that run `source:` files. */
  readonly workspaceDirs: Readonly<Record<string, string>>
  /** Where the files of workspace and library revisions fetched from the server are kept. */
  readonly cacheDir: string
  /** Revisions kept there per workspace or library (besides those steps run in). */
  readonly keepRevisions: number
  /** Running steps get this long to finish on SIGTERM/SIGINT before they are killed. */
  readonly graceSecs: number
  readonly logLevel: WorkerLogLevel
}

export class WorkerConfigError extends Error {
  readonly issues: ReadonlyArray<string>
  constructor(issues: ReadonlyArray<string>) {
    super(`invalid worker settings:\n${issues.map((i) => `  - ${i}`).join('\n')}`)
    this.name = 'WorkerConfigError'
    this.issues = issues
  }
}

export const WORKER_USAGE = `weir worker --server URL --token TOKEN [options]

Options (each also from the environment variable shown):
  --server URL            Weir server base URL, e.g. http://weir:8080   WEIR_WORKER__SERVER
  --token TOKEN           enrollment token (the server's worker_token)  WEIR_WORKER__TOKEN
  --name NAME             worker name, [A-Za-z0-9_.-]{1,64}; default: the host name
                                                                        WEIR_WORKER__NAME
  --concurrency N         steps run at once, 1-64 (default 4)           WEIR_WORKER__CONCURRENCY
  --tags a,b              tags; a step runs here only if its action's tags are among them
                                                                        WEIR_WORKER__TAGS
  --capabilities LIST     what this worker runs: script, docker; default: script, plus docker
                          when the Docker Engine answers at start       WEIR_WORKER__CAPABILITIES
  --docker-host ADDR      Docker Engine for container steps; default: $DOCKER_HOST, else
                          unix:///var/run/docker.sock                   WEIR_WORKER__DOCKER_HOST
  --runner-image IMAGE    image of runner: docker scripts whose action names none
                          (default alpine:latest)                       WEIR_WORKER__RUNNER_IMAGE
  --docker-network NAME   network mode of step containers (none, host, bridge or a network
                          name); default: the engine's                  WEIR_WORKER__DOCKER_NETWORK
  --state-dir DIR         where <name>.json keeps the worker id and secret (mode 0600);
                          default ~/.weir-worker                        WEIR_WORKER__STATE_DIR
  --workspace-dir WS=DIR  local folder with the files of workspace WS for steps with \`source:\`
                          scripts, instead of fetching each revision from the server;
                          repeatable                                    WEIR_WORKER__WORKSPACES=WS=DIR,WS2=DIR2
  --cache-dir DIR         where fetched workspace and library revisions are kept;
                          default <state-dir>/cache/<name>              WEIR_WORKER__CACHE_DIR
  --keep-revisions N      revisions kept per workspace or library, 1-100 (default 3)
                                                                        WEIR_WORKER__KEEP_REVISIONS
  --grace-secs N          on SIGTERM/SIGINT, running steps get N s to finish (default 25)
                                                                        WEIR_WORKER__GRACE_SECS
  --log-level LEVEL       fatal|error|warn|info|debug|trace|silent      WEIR_WORKER__LOG_LEVEL
  -h, --help              show this help`

const NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/
const TAG_RE = /^[^\s,]{1,64}$/
const CAPABILITIES = ['script', 'docker']
const LEVELS: ReadonlyArray<WorkerLogLevel> = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
]

const OPTIONS = {
  server: { type: 'string' },
  token: { type: 'string' },
  name: { type: 'string' },
  concurrency: { type: 'string' },
  tags: { type: 'string' },
  capabilities: { type: 'string' },
  'docker-host': { type: 'string' },
  'runner-image': { type: 'string' },
  'docker-network': { type: 'string' },
  'state-dir': { type: 'string' },
  'workspace-dir': { type: 'string', multiple: true },
  'cache-dir': { type: 'string' },
  'keep-revisions': { type: 'string' },
  'grace-secs': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

export interface WorkerConfigInput {
  readonly argv: ReadonlyArray<string>
  readonly env: Readonly<Record<string, string | undefined>>
  readonly cwd: string
  /** Default worker name. */
  readonly hostname: string
  readonly homeDir: string
}

/** Parses flags and environment; null means `--help` was asked for. Throws WorkerConfigError. */
export function loadWorkerConfig(input: WorkerConfigInput): WorkerConfig | null {
  let values: ReturnType<typeof parseFlags>
  try {
    values = parseFlags(input.argv)
  } catch (e) {
    throw new WorkerConfigError([(e as Error).message])
  }
  if (values.help) return null
  const env = (key: string) => nonEmpty(input.env[`WEIR_WORKER__${key}`])
  const issues: string[] = []
  const pick = (flag: string, key: string, v: string | undefined) =>
    v !== undefined ? { v, from: `--${flag}` } : { v: env(key), from: `WEIR_WORKER__${key}` }

  const server = parseServer(pick('server', 'SERVER', values.server), issues)
  const token = pick('token', 'TOKEN', values.token)
  if (token.v === undefined) issues.push('--token (or WEIR_WORKER__TOKEN) is required')
  const nameIn = pick('name', 'NAME', values.name)
  const name = nameIn.v ?? defaultName(input.hostname)
  if (!NAME_RE.test(name)) {
    issues.push(
      `${nameIn.v === undefined ? 'host name' : nameIn.from}: '${name}' must match [A-Za-z0-9_.-]{1,64}`,
    )
  }
  const concurrency = intIn(
    pick('concurrency', 'CONCURRENCY', values.concurrency),
    4,
    1,
    64,
    issues,
  )
  const graceSecs = intIn(
    pick('grace-secs', 'GRACE_SECS', values['grace-secs']),
    25,
    0,
    3600,
    issues,
  )
  const tags = listIn(pick('tags', 'TAGS', values.tags), issues, (t) => TAG_RE.test(t), 'a tag')
  if (tags.length > 32) issues.push('tags: at most 32 tags')
  const caps = listIn(
    pick('capabilities', 'CAPABILITIES', values.capabilities),
    issues,
    (c) => CAPABILITIES.includes(c),
    `a capability this worker has (${CAPABILITIES.join(', ')})`,
  )
  const docker = parseDocker(
    pick('docker-host', 'DOCKER_HOST', values['docker-host']),
    input.env.DOCKER_HOST,
    pick('runner-image', 'RUNNER_IMAGE', values['runner-image']),
    pick('docker-network', 'DOCKER_NETWORK', values['docker-network']),
    issues,
  )
  const level = pick('log-level', 'LOG_LEVEL', values['log-level'])
  if (level.v !== undefined && !LEVELS.includes(level.v as WorkerLogLevel)) {
    issues.push(`${level.from}: '${level.v}' is not one of ${LEVELS.join(', ')}`)
  }
  const stateDirIn = pick('state-dir', 'STATE_DIR', values['state-dir']).v
  const stateDir = stateDirIn ? resolve(input.cwd, stateDirIn) : join(input.homeDir, '.weir-worker')
  const cacheDirIn = pick('cache-dir', 'CACHE_DIR', values['cache-dir']).v
  const keepRevisions = intIn(
    pick('keep-revisions', 'KEEP_REVISIONS', values['keep-revisions']),
    3,
    1,
    100,
    issues,
  )
  const workspaceDirs = parseWorkspaceDirs(
    values['workspace-dir'],
    env('WORKSPACES'),
    input.cwd,
    issues,
  )
  if (issues.length > 0) throw new WorkerConfigError(issues)
  return {
    server: server!,
    token: token.v!,
    name,
    concurrency,
    tags,
    capabilities: caps.length > 0 ? caps : ['script'],
    detectDocker: caps.length === 0,
    docker,
    stateDir,
    workspaceDirs,
    cacheDir: cacheDirIn ? resolve(input.cwd, cacheDirIn) : join(stateDir, 'cache', name),
    keepRevisions,
    graceSecs,
    logLevel: (level.v as WorkerLogLevel | undefined) ?? 'info',
  }
}

function parseFlags(argv: ReadonlyArray<string>) {
  return parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: false, strict: true })
    .values
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim()
}

/** Host names may hold characters a worker name may not: those become `-`. */
function defaultName(hostname: string): string {
  return hostname.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64) || 'worker'
}

type Picked = { v: string | undefined; from: string }

function parseServer(p: Picked, issues: string[]): string | undefined {
  if (p.v === undefined) {
    issues.push('--server (or WEIR_WORKER__SERVER) is required, e.g. http://weir:8080')
    return undefined
  }
  let url: URL
  try {
    url = new URL(p.v)
  } catch {
    issues.push(`${p.from}: '${p.v}' is not a URL (e.g. http://weir:8080)`)
    return undefined
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    issues.push(`${p.from}: '${p.v}' must be an http:// or https:// URL`)
    return undefined
  }
  return url.toString().replace(/\/+$/, '')
}

function parseDocker(
  host: Picked,
  dockerHostEnv: string | undefined,
  image: Picked,
  network: Picked,
  issues: string[],
): WorkerConfig['docker'] {
  const fromEnv = nonEmpty(dockerHostEnv)
  const h =
    host.v !== undefined
      ? host
      : fromEnv !== undefined
        ? { v: fromEnv, from: 'DOCKER_HOST' }
        : { v: DEFAULT_DOCKER_HOST, from: 'default' }
  const parsed = parseDockerHost(h.v!)
  if (typeof parsed === 'string') issues.push(`${h.from}: ${parsed}`)
  return { host: h.v!, runnerImage: image.v ?? 'alpine:latest', network: network.v ?? null }
}

function intIn(p: Picked, def: number, min: number, max: number, issues: string[]): number {
  if (p.v === undefined) return def
  const n = Number(p.v)
  if (!/^\d+$/.test(p.v) || n < min || n > max) {
    issues.push(`${p.from}: '${p.v}' must be an integer from ${min} to ${max}`)
    return def
  }
  return n
}

function listIn(
  p: Picked,
  issues: string[],
  ok: (item: string) => boolean,
  what: string,
): string[] {
  if (p.v === undefined) return []
  const items = p.v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  for (const item of items) if (!ok(item)) issues.push(`${p.from}: '${item}' is not ${what}`)
  return [...new Set(items)]
}

/** `WS=DIR` pairs from the repeatable flag, else the comma-separated variable. */
function parseWorkspaceDirs(
  flags: ReadonlyArray<string> | undefined,
  fromEnv: string | undefined,
  cwd: string,
  issues: string[],
): Record<string, string> {
  const [entries, from] =
    flags && flags.length > 0
      ? [flags, '--workspace-dir']
      : [fromEnv?.split(',') ?? [], 'WEIR_WORKER__WORKSPACES']
  const out: Record<string, string> = {}
  for (const raw of entries) {
    const entry = raw.trim()
    if (entry === '') continue
    const eq = entry.indexOf('=')
    const ws = eq > 0 ? entry.slice(0, eq) : ''
    const dir = eq > 0 ? entry.slice(eq + 1) : ''
    if (!/^[A-Za-z0-9_-]+$/.test(ws) || dir === '') {
      issues.push(`${from}: '${entry}' must be WORKSPACE=FOLDER, e.g. default=/srv/weir/workspace`)
    } else if (out[ws] !== undefined) {
      issues.push(`${from}: workspace '${ws}' is given twice`)
    } else {
      out[ws] = isAbsolute(dir) ? dir : resolve(cwd, dir)
    }
  }
  return out
}
