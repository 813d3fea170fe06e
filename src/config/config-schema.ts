/**
 * Schema of server-config.yaml: Strøm's keys where they overlap (listen, db.url,
 * log_storage.local_dir, workspaces, worker_token, auth) plus Weir's own (ARCHITECTURE.md §8).
 * Strøm's other keys are moved onto Weir's or dropped with a warning first (stroem-keys.ts);
 * unknown top-level sections only warn, unknown keys inside a section are refused.
 */
import { z } from 'zod'
import { DEFAULT_DOCKER_HOST, parseDockerHost } from '../shared/docker-host.ts'

const positiveInt = z.number().int().positive()

const LISTEN_RE = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/
const listenSchema = z.string().refine((s) => {
  const m = LISTEN_RE.exec(s)
  return m !== null && Number(m[2]) <= 65535
}, 'expected host:port with a port of 0..65535, e.g. 0.0.0.0:8080')

/** How git reaches a remote (STROEM-REFERENCE.md §11.2): a token over HTTPS, or an SSH key. */
const gitAuthSchema = z
  .object({
    type: z.enum(['token', 'ssh_key']),
    /** `token`: sent as HTTP basic auth with `username`. */
    token: z.string().min(1).optional(),
    username: z.string().min(1).default('x-access-token'),
    /** `ssh_key`: a private key file, or the key itself; neither: ssh's own keys and agent. */
    key_path: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.type === 'token' && a.token === undefined) {
      ctx.addIssue({ code: 'custom', path: ['token'], message: 'a token auth needs a token' })
    }
    if (a.type === 'ssh_key' && a.key_path !== undefined && a.key !== undefined) {
      const message = 'set one of key_path and key, not both'
      ctx.addIssue({ code: 'custom', path: ['key'], message })
    }
  })

/** A git source's `auth`: the name of a `git_auth` entry, or the settings themselves. */
const gitAuthRefSchema = z.union([z.string().min(1), gitAuthSchema])

const workspaceSourceSchema = z
  .object({
    type: z.enum(['folder', 'git']),
    path: z.string().min(1).optional(),
    url: z.string().min(1).optional(),
    /** `git`: the branch, tag or full ref to follow (default `main`). */
    ref: z.string().min(1).optional(),
    /** `git`: how often the remote is asked for a new commit (default 60). */
    poll_interval_secs: positiveInt.max(86_400).optional(),
    auth: gitAuthRefSchema.optional(),
  })
  .strict()

/** A library (STROEM-REFERENCE.md §1.1): its actions and tasks are imported as `<name>.<item>`. */
const librarySourceSchema = workspaceSourceSchema

const DURATION_UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 }

/** Seconds as a number, or a string of `<n><unit>` groups with units d, h, m, s (`15m`, `1d12h`). */
const durationSecs = z.union([positiveInt, z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v
  if (!/^(\d+[dhms])+$/.test(v)) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a duration such as 15m, 12h or 30d, got '${v}'`,
    })
    return z.NEVER
  }
  let secs = 0
  for (const m of v.matchAll(/(\d+)([dhms])/g)) secs += Number(m[1]) * DURATION_UNITS[m[2]!]!
  if (secs <= 0) {
    ctx.addIssue({ code: 'custom', message: 'duration must be positive' })
    return z.NEVER
  }
  return secs
})

export const WORKSPACE_NAME_RE = /^[A-Za-z0-9_-]+$/

/** A Docker Engine address (`unix:///var/run/docker.sock`, `tcp://host:2375`). */
export const dockerHostSchema = z.string().superRefine((v, ctx) => {
  const parsed = parseDockerHost(v)
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed })
})

/** Container steps (type: docker, runner: docker) on a Docker Engine. */
const dockerSchema = z
  .object({
    /** Default: DOCKER_HOST from the environment, else the standard socket. */
    host: dockerHostSchema.default(DEFAULT_DOCKER_HOST),
    /** The image a `runner: docker` script runs in when its action names none. */
    runner_image: z.string().min(1).default('alpine:latest'),
    /** The containers' network mode (`none`, `host`, `bridge` or a network name); unset: the engine's. */
    network: z.string().min(1).optional(),
    /** How often containers whose step is no longer running are removed (also at start). */
    sweep_interval_secs: positiveInt.max(3600).default(30),
  })
  .strict()
  .prefault({})

/** A storage prefix: relative folders ending in `/` (or empty), no `..`. */
const storagePrefix = z
  .string()
  .refine(
    (p) =>
      p === '' || (/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/$/.test(p) && !/(^|\/)\.\.?\//.test(p)),
    "expected relative folders ending in '/' (e.g. 'artifacts/'), without '.' or '..'",
  )

/** Where artifacts and state files rest: a local folder (Strøm's `archive`, local type only). */
const archiveSchema = z
  .object({
    type: z
      .literal('local', { error: "only archives of type 'local' are supported" })
      .default('local'),
    path: z.string().min(1),
  })
  .strict()

/** Files steps leave in $ARTIFACTS_DIR (STROEM-REFERENCE.md §11.2). */
const artifactStorageSchema = z
  .object({
    prefix: storagePrefix.default('artifacts/'),
    archive: archiveSchema.default({ type: 'local', path: '.weir' }),
    max_file_bytes: positiveInt.default(104_857_600),
    max_job_bytes: positiveInt.default(1_073_741_824),
  })
  .strict()
  .prefault({})

/** Task state (STROEM-REFERENCE.md §7.9, §11.2); absent: state is off. */
const stateStorageSchema = z
  .object({
    prefix: storagePrefix.default('state/'),
    /** Snapshots kept per task; older ones are deleted. */
    max_snapshots: positiveInt.max(1000).default(5),
    /** Snapshots kept per workspace (global state); default: max_snapshots. */
    global_max_snapshots: positiveInt.max(1000).optional(),
    /** Default: artifact_storage.archive. */
    archive: archiveSchema.optional(),
  })
  .strict()
  .optional()

export const configSchema = z
  .object({
    /** Default: 127.0.0.1:8080 without `auth`, 0.0.0.0:8080 with it (load-config.ts). */
    listen: listenSchema.optional(),
    /** `auto`: human-readable on a terminal, JSON lines otherwise. */
    log_format: z.enum(['auto', 'json', 'pretty']).default('auto'),
    log_level: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    db: z
      .object({
        url: z
          .string()
          .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
          .optional(),
        data_dir: z.string().min(1).default('.weir/pgdata'),
        pool_size: positiveInt.max(100).default(8),
        /** Named prepared statements for repeated queries (off behind a transaction-mode pooler). */
        prepared_statements: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    log_storage: z
      .object({ local_dir: z.string().min(1).default('.weir/logs') })
      .strict()
      .prefault({}),
    workspaces: z
      .record(
        z.string().regex(WORKSPACE_NAME_RE, 'workspace names use letters, digits, _ and -'),
        workspaceSourceSchema,
      )
      .default({ default: { type: 'folder', path: 'workspaces/default' } }),
    /** Reload a workspace when its files change (a slow poll backs the file watcher up). */
    workspace_watch: z.boolean().default(true),
    libraries: z
      .record(
        z.string().regex(WORKSPACE_NAME_RE, 'library names use letters, digits, _ and -'),
        librarySourceSchema,
      )
      .default({}),
    /** Named credentials for git workspaces and libraries (`auth: <name>`). */
    git_auth: z.record(z.string().min(1), gitAuthSchema).default({}),
    /** Clones and checkouts of git sources, and the archives sent to remote workers. */
    workspace_cache_dir: z.string().min(1).default('.weir/workspaces'),
    worker_token: z.string().min(8, 'worker_token must be at least 8 characters').optional(),
    embedded_worker: z
      .object({
        enabled: z.boolean().default(true),
        concurrency: positiveInt.max(256).default(4),
        /**
         * `spawner`: a small helper process spawns steps (fast even from a big server process):
         * python3's posix_spawn when available, else a node helper (`node-spawner` forces it).
         * `direct`: this process spawns them.
         */
        launcher: z.enum(['spawner', 'node-spawner', 'direct']).default('spawner'),
      })
      .strict()
      .prefault({}),
    workers: z
      .object({
        heartbeat_interval_secs: positiveInt.max(60).default(3),
        lease_ttl_secs: positiveInt.max(600).default(10),
        lost_after_secs: positiveInt.max(3600).default(10),
        /** Longest a remote worker's claim long poll is held (its `wait_secs` is capped to it). */
        max_claim_wait_secs: z.number().int().min(0).max(300).default(30),
      })
      .strict()
      .prefault({}),
    scheduler: z
      .object({
        enabled: z.boolean().default(true),
        catch_up: z.enum(['none', 'latest', 'all']).default('latest'),
        max_catch_up: positiveInt.max(1000).default(10),
      })
      .strict()
      .prefault({}),
    defaults: z
      .object({
        step_timeout_secs: positiveInt.max(86_400).default(3600),
        job_timeout_secs: positiveInt.max(604_800).optional(),
      })
      .strict()
      .prefault({}),
    shutdown: z
      .object({ grace_ms: z.number().int().min(0).max(600_000).default(25_000) })
      .strict()
      .prefault({}),
    metrics: z
      .object({
        token: z.string().min(8).optional(),
        /** Strøm's key: /metrics needs no token even with auth or a metrics token. */
        public: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** Deleting old jobs (rows, logs, artifacts) and gone workers; the leader runs it. */
    retention: z
      .object({
        /** Terminal jobs older than this go (Strøm's key); 0 keeps them forever. */
        job_days: z.number().int().min(0).max(36_500).default(30),
        /** Lost or revoked workers unseen this long go; 0 keeps them. */
        worker_hours: z.number().int().min(0).max(876_000).default(24),
        /** Time between passes; the first runs a minute after the leader starts. */
        interval_secs: positiveInt.max(604_800).default(3600),
        /** Jobs deleted per batch (one short transaction each). */
        batch_size: positiveInt.max(10_000).default(500),
        /** Per workspace: its own `job_days` (0: keep its jobs forever). */
        workspaces: z
          .record(
            z.string().regex(WORKSPACE_NAME_RE, 'workspace names use letters, digits, _ and -'),
            z.object({ job_days: z.number().int().min(0).max(36_500) }).strict(),
          )
          .default({}),
      })
      .strict()
      .prefault({}),
    docker: dockerSchema,
    artifact_storage: artifactStorageSchema,
    state_storage: stateStorageSchema,
    /** Present = every /api route needs a bearer token (API.md §12); absent = open, as in Strøm. */
    auth: z
      .object({
        jwt_secret: z.string({ error: 'required when auth is configured' }).min(16),
        /** Keys the stored refresh-token hashes; defaults to jwt_secret. */
        refresh_secret: z.string().min(16).optional(),
        initial_user: z
          .object({
            email: z.string().email(),
            /** Under 8 characters only warns (load-config.ts): it is the operator's own file. */
            password: z.string().min(1),
            name: z.string().min(1).optional(),
          })
          .strict()
          .optional(),
        access_token_ttl: durationSecs.default(15 * 60),
        refresh_token_ttl: durationSecs.default(30 * 86_400),
        api_key_default_ttl: durationSecs.default(90 * 86_400),
        /** Failed logins per client address within the window, then 429 until it slides. */
        login_rate_limit: z
          .object({
            max_failures: positiveInt.max(10_000).default(10),
            window_secs: positiveInt.max(86_400).default(300),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .optional(),
  })
  .strict()

export type ConfigInput = z.input<typeof configSchema>
export type ParsedConfig = z.output<typeof configSchema>

/** The resolved, frozen configuration handed to the composition root. */
export interface Config extends Omit<ParsedConfig, 'listen'> {
  /** host:port; the default depends on whether `auth` is configured. */
  readonly listen: string
  /** Folder of the config file (or the working directory without one): base of relative paths. */
  readonly baseDir: string
  /** Absolute path of the config file in use, or null when running on defaults. */
  readonly configFile: string | null
}

/** Top-level keys the schema knows; anything else is reported as a warning and ignored. */
export const KNOWN_TOP_LEVEL_KEYS: ReadonlySet<string> = new Set(Object.keys(configSchema.shape))
