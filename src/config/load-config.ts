/**
 * Loads the server configuration: defaults < server-config.yaml < environment < CLI flags.
 * The only reader of process.env is the CLI, which passes the environment in here.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import { parseDocument } from 'yaml'
import { configSchema, KNOWN_TOP_LEVEL_KEYS, type Config } from './config-schema.ts'
import { adoptStroemKeys } from './stroem-keys.ts'

export type Env = Readonly<Record<string, string | undefined>>

export interface LoadConfigOptions {
  readonly env: Env
  readonly cwd: string
  /** `--config` flag; wins over WEIR_CONFIG. */
  readonly configPath?: string
  /** Values from CLI flags, as dotted key paths (`{ 'listen': '127.0.0.1:9000' }`). */
  readonly flags?: Readonly<Record<string, unknown>>
}

export interface LoadedConfig {
  readonly config: Config
  readonly warnings: ReadonlyArray<string>
}

/** Every problem with the configuration, each with its key path and where the value came from. */
export class ConfigError extends Error {
  readonly issues: ReadonlyArray<string>
  constructor(issues: ReadonlyArray<string>) {
    super(`invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`)
    this.name = 'ConfigError'
    this.issues = issues
  }
}

/** Leaf keys that are strings even when an environment value looks like a number or boolean. */
const STRING_KEYS = new Set([
  'listen',
  'db.url',
  'db.data_dir',
  'log_storage.local_dir',
  'artifact_storage.prefix',
  'artifact_storage.archive.type',
  'artifact_storage.archive.path',
  'state_storage.prefix',
  'state_storage.archive.type',
  'state_storage.archive.path',
  'worker_token',
  'metrics.token',
  'auth.jwt_secret',
  'auth.refresh_secret',
  'auth.initial_user.password',
  'docker.host',
  'docker.runner_image',
  'docker.network',
])

/** The rule for passwords set over the API or the CLI; the config file only warns below it. */
const MIN_PASSWORD_LENGTH = 8

type Tree = Record<string, unknown>
type Sources = Map<string, string>

export function loadConfig(opts: LoadConfigOptions): LoadedConfig {
  const issues: string[] = []
  const warnings: string[] = []
  const sources: Sources = new Map()
  const explicit = opts.configPath ?? opts.env.WEIR_CONFIG
  const file = resolve(opts.cwd, explicit ?? 'server-config.yaml')
  let tree: Tree = {}
  let configFile: string | null = null
  if (existsSync(file)) {
    configFile = file
    tree = readConfigFile(file, issues)
    const stroem = adoptStroemKeys(tree)
    warnings.push(...stroem.warnings)
    issues.push(...stroem.issues.map((i) => `${i} (in ${file})`))
  } else if (explicit !== undefined) {
    issues.push(`config file ${file} does not exist`)
  }
  for (const key of Object.keys(tree)) {
    if (!KNOWN_TOP_LEVEL_KEYS.has(key)) {
      warnings.push(`${key}: unknown configuration section (ignored)`)
      delete tree[key]
    }
  }
  applyEnv(tree, opts.env, sources, issues)
  for (const [path, value] of Object.entries(opts.flags ?? {})) {
    if (value === undefined) continue
    setPath(tree, path.split('.'), value)
    sources.set(path, 'flag')
  }
  const baseDir = configFile ? dirname(configFile) : opts.cwd
  const parsed = configSchema.safeParse(tree)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.map(String).join('.') || '(root)'
      const from = sourceOf(path, sources, configFile)
      issues.push(`${path}: ${issue.message}${from}`)
    }
  } else {
    checkSources(parsed.data, issues)
    const initial = parsed.data.auth?.initial_user
    if (initial && initial.password.length < MIN_PASSWORD_LENGTH) {
      warnings.push(
        `auth.initial_user.password: shorter than ${MIN_PASSWORD_LENGTH} characters; the ` +
          `initial admin '${initial.email}' is easy to guess: change its password after the ` +
          `first login (passwords set through the API or the CLI need ${MIN_PASSWORD_LENGTH} or more)`,
      )
    }
  }
  if (issues.length > 0 || !parsed.success) throw new ConfigError(issues)
  const listen = parsed.data.listen ?? defaultListen(parsed.data)
  const config = resolvePaths({ ...parsed.data, listen, baseDir, configFile })
  return { config: deepFreeze(config), warnings }
}

function readConfigFile(file: string, issues: string[]): Tree {
  const doc = parseDocument(readFileSync(file, 'utf8'), { uniqueKeys: true, prettyErrors: true })
  for (const err of doc.errors) {
    const pos = err.linePos?.[0]
    const where = pos ? `${file}:${pos.line}:${pos.col}` : file
    issues.push(`${where}: invalid YAML: ${err.message.split(' at line ')[0]}`)
  }
  if (doc.errors.length > 0) return {}
  const value: unknown = doc.toJS()
  if (value === null || value === undefined) return {}
  if (typeof value !== 'object' || Array.isArray(value)) {
    issues.push(`${file}: the top level must be a mapping of configuration keys`)
    return {}
  }
  return value as Tree
}

function applyEnv(tree: Tree, env: Env, sources: Sources, issues: string[]): void {
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('WEIR__') || raw === undefined) continue
    const path = name.slice('WEIR__'.length).toLowerCase().split('__')
    const key = path.join('.')
    const text = STRING_KEYS.has(key) || key.startsWith('git_auth.')
    setPath(tree, path, text ? raw : parseScalar(raw))
    sources.set(key, `env ${name}`)
  }
  const url = env.DATABASE_URL
  if (url !== undefined && url !== '') {
    const weirUrl = env.WEIR__DB__URL
    if (weirUrl !== undefined && weirUrl !== url) {
      issues.push('db.url: DATABASE_URL and WEIR__DB__URL are both set and differ; set only one')
    }
    setPath(tree, ['db', 'url'], url)
    sources.set('db.url', 'env DATABASE_URL')
  }
  // The Docker Engine address the docker CLI would use, unless the config names one.
  const dockerHost = env.DOCKER_HOST
  const docker = tree.docker as Tree | undefined
  if (dockerHost !== undefined && dockerHost !== '' && docker?.host === undefined) {
    setPath(tree, ['docker', 'host'], dockerHost)
    sources.set('docker.host', 'env DOCKER_HOST')
  }
}

/** Environment values read as YAML scalars, so `true`, `8` and `null` keep their types. */
function parseScalar(raw: string): unknown {
  if (raw === 'true') return true
  if (raw === 'false') return false
  if (/^-?\d+$/.test(raw)) return Number(raw)
  return raw
}

function setPath(tree: Tree, path: ReadonlyArray<string>, value: unknown): void {
  let node = tree
  for (const key of path.slice(0, -1)) {
    const next = node[key]
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {}
    node = node[key] as Tree
  }
  node[path[path.length - 1]!] = value
}

function sourceOf(path: string, sources: Sources, file: string | null): string {
  for (const [key, source] of sources) {
    if (path === key || path.startsWith(`${key}.`)) return ` (from ${source})`
  }
  return file ? ` (in ${file})` : ''
}

type SourceConfig = Config['workspaces'][string]

/** Folder sources need a path, git ones a url; `auth` names a `git_auth` entry; names are unique. */
function checkSources(
  c: Pick<Config, 'workspaces' | 'libraries' | 'git_auth'>,
  issues: string[],
): void {
  const check = (key: string, source: SourceConfig) => {
    if (source.type === 'folder' && !source.path) {
      issues.push(
        `${key}.path: a folder ${key.split('.')[0] === 'libraries' ? 'library' : 'workspace'} needs a path`,
      )
    }
    if (source.type === 'git' && !source.url) {
      issues.push(
        `${key}.url: a git ${key.split('.')[0] === 'libraries' ? 'library' : 'workspace'} needs a url`,
      )
    }
    if (source.type === 'folder' && source.auth !== undefined) {
      issues.push(`${key}.auth: only git sources take auth`)
    }
    if (typeof source.auth === 'string' && !Object.hasOwn(c.git_auth, source.auth)) {
      const known = Object.keys(c.git_auth)
      const list = known.length > 0 ? `: git_auth has ${known.join(', ')}` : ' (git_auth is empty)'
      issues.push(`${key}.auth: no git_auth entry named '${source.auth}'${list}`)
    }
  }
  for (const [name, source] of Object.entries(c.workspaces)) check(`workspaces.${name}`, source)
  for (const [name, source] of Object.entries(c.libraries)) {
    check(`libraries.${name}`, source)
    // `x.action` would name both the library's action and the workspace's.
    if (Object.hasOwn(c.workspaces, name)) {
      issues.push(`libraries.${name}: a workspace has the same name; rename one of them`)
    }
  }
}

/**
 * Where the server listens when the config does not say: without `auth` anyone who can reach it
 * can run the workspaces' scripts, so only this machine; with `auth`, every interface.
 */
export function defaultListen(c: { readonly auth?: unknown }): string {
  return c.auth === undefined ? '127.0.0.1:8080' : '0.0.0.0:8080'
}

/** True when `listen` binds only the loopback interface. */
export function isLoopbackListen(listen: string): boolean {
  const host = listen.slice(0, listen.lastIndexOf(':')).replace(/^\[|\]$/g, '')
  return host === 'localhost' || host === '::1' || /^127\./.test(host)
}

function resolvePaths(c: Config): Config {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(c.baseDir, p))
  const keyPath = <A extends { key_path?: string }>(a: A): A =>
    a.key_path ? { ...a, key_path: abs(a.key_path) } : a
  const source = (s: SourceConfig): SourceConfig => ({
    ...s,
    ...(s.path ? { path: abs(s.path) } : {}),
    ...(typeof s.auth === 'object' ? { auth: keyPath(s.auth) } : {}),
  })
  const sources = <T extends Record<string, SourceConfig>>(all: T): T =>
    Object.fromEntries(Object.entries(all).map(([name, s]) => [name, source(s)])) as T
  const workspaces = sources(c.workspaces)
  const gitAuth = Object.fromEntries(Object.entries(c.git_auth).map(([n, a]) => [n, keyPath(a)]))
  return {
    ...c,
    libraries: sources(c.libraries),
    git_auth: gitAuth,
    workspace_cache_dir: abs(c.workspace_cache_dir),
    db: { ...c.db, data_dir: c.db.data_dir === 'memory' ? 'memory' : abs(c.db.data_dir) },
    log_storage: { ...c.log_storage, local_dir: abs(c.log_storage.local_dir) },
    artifact_storage: {
      ...c.artifact_storage,
      archive: { ...c.artifact_storage.archive, path: abs(c.artifact_storage.archive.path) },
    },
    state_storage: c.state_storage && {
      ...c.state_storage,
      archive: c.state_storage.archive && {
        ...c.state_storage.archive,
        path: abs(c.state_storage.archive.path),
      },
    },
    workspaces,
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}

const mask = (v: string | undefined) => (v === undefined ? undefined : '******')
const maskAuth = <A extends { token?: string; key?: string }>(a: A): A => ({
  ...a,
  token: mask(a.token),
  key: mask(a.key),
})
function maskSources<T extends Record<string, SourceConfig>>(all: T): T {
  return Object.fromEntries(
    Object.entries(all).map(([n, s]) => [
      n,
      typeof s.auth === 'object' ? { ...s, auth: maskAuth(s.auth) } : s,
    ]),
  ) as T
}

/** A copy of the config safe to print or log: secrets replaced by a mask. */
export function redactConfig(c: Config): unknown {
  return {
    ...c,
    db: { ...c.db, url: c.db.url?.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:******@') },
    worker_token: mask(c.worker_token),
    git_auth: Object.fromEntries(Object.entries(c.git_auth).map(([n, a]) => [n, maskAuth(a)])),
    workspaces: maskSources(c.workspaces),
    libraries: maskSources(c.libraries),
    metrics: { ...c.metrics, token: mask(c.metrics.token) },
    auth: c.auth
      ? {
          ...c.auth,
          jwt_secret: mask(c.auth.jwt_secret),
          refresh_secret: mask(c.auth.refresh_secret),
          initial_user: c.auth.initial_user
            ? { email: c.auth.initial_user.email, password: '******' }
            : undefined,
        }
      : undefined,
  }
}
