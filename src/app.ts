/**
 * Composition root of `weir serve`: the only place that knows every feature. Each feature folder
 * exports one factory (`createX(deps)` → its services plus start/stop); this file chains them in
 * dependency order and registers each one's cleanup on a LIFO stack.
 *
 * The HTTP server listens before the database is open (the embedded one takes seconds): its
 * readiness gate (api/http-server.ts) answers 503 until the services exist, then hands requests to
 * the API, whose routes receive the services themselves.
 */
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { resolve } from 'node:path'
import type { AddressInfo } from 'node:net'
import type Koa from 'koa'
import type Router from '@koa/router'
import type { ApiDeps, ReadinessReport } from './api/api-deps.ts'
import { createAuditRecorder } from './api/audit-recorder.ts'
import { createApi } from './api/create-api.ts'
import { createHttpServer, type UpgradeHandler } from './api/http-server.ts'
import { upgradeRefusal } from './api/middleware/auth.ts'
import { webUi } from './api/middleware/web-ui.ts'
import { healthMiddleware } from './api/routes/health.routes.ts'
import { rejectUpgrade } from './api/http-server.ts'
import { createAuth, type Auth } from './auth/create-auth.ts'
import type { ClusterTuning } from './cluster/log-cluster.ts'
import type { Config } from './config/config-schema.ts'
import { openDatabase, type Database } from './db/create-db.ts'
import { checkDatabase } from './db/health.ts'
import { createLeaderElection } from './db/leader-lock.ts'
import { migrateToLatest } from './db/migrate.ts'
import { listen } from './db/notifications.ts'
import { countJobsByStatus, taskDurationStats } from './db/queries/job-stats.ts'
import { readMetricsCounts } from './db/queries/metrics-snapshot.ts'
import { findJobById, listJobs, listStepsOfJob } from './db/repositories/job.repository.ts'
import { listTriggerFires } from './db/repositories/trigger-state.repository.ts'
import { createDispatch, type Dispatch } from './dispatch/create-dispatch.ts'
import { ReadySignal } from './dispatch/ready-signal.ts'
import { createEvents, type Events } from './events/create-events.ts'
import { createJobs, type Jobs } from './jobs/create-jobs.ts'
import { createJobWaiter } from './jobs/job-waiter.ts'
import { JobSecrets } from './jobs/job-secrets.ts'
import { createLogs, type Logs } from './logs/create-logs.ts'
import { createMetrics, type Metrics } from './metrics/metrics.ts'
import type { ProcessLauncher } from './runner/executors/process-launcher.ts'
import { createScheduler, type SchedulerFeature } from './scheduler/create-scheduler.ts'
import { systemClock, type Clock } from './shared/clock.ts'
import { coerceError } from './shared/errors.ts'
import type { Logger } from './shared/logger.ts'
import { Releasers } from './shared/releasers.ts'
import { renderTemplate } from './templates/render.ts'
import { createWorkers, type Workers } from './workers/create-workers.ts'
import { createArtifacts, type Artifacts } from './artifacts/create-artifacts.ts'
import { createRetention } from './retention/create-retention.ts'
import type { RetentionReport } from './retention/retention-policy.ts'
import { createState, type State } from './state/create-state.ts'
import { LibrarySet } from './workspace/library-set.ts'
import { loadWorkspace } from './workspace/load-workspace.ts'
import { WorkspaceRegistry } from './workspace/workspace-registry.ts'
import { librarySources, workspaceSources } from './workspace/workspace-sources.ts'
import { WorkspaceWatcher } from './workspace/workspace-watcher.ts'
import type { Workspace } from './workspace/workspace.ts'

export interface AppOptions {
  readonly logger: Logger
  /** The process environment (steps inherit it, minus Weir's own settings). */
  readonly env?: Readonly<Record<string, string | undefined>>
  readonly clock?: Clock
  /** An already open database (tests); otherwise opened from config.db. */
  readonly database?: Database
  /**
   * Replaces the embedded worker's process launcher; receives the one the config selects. For
   * benchmarks (a launcher that completes steps without spawning): the config cannot set it.
   */
  readonly launcherOverride?: (configured: ProcessLauncher) => ProcessLauncher
  /** Timings the config does not expose (tests, benchmarks). */
  readonly tuning?: {
    /** SSE keep-alive period (API.md §8: 30 000 ms). */
    readonly ssePingMs?: number
    /** Logs across PostgreSQL replicas: heartbeats, takeover, follower and drain periods. */
    readonly cluster?: ClusterTuning
    /** Longest wait of a parked long-poll claim without a wake-up (default 2 000 ms). */
    readonly claimSafetyPollMs?: number
  }
  /** Node's default process metrics on /metrics (default true). */
  readonly defaultMetrics?: boolean
  /** The built web UI (default: dist/ui of this checkout, where `npm run build` puts it). */
  readonly uiDir?: string
}

/** Every feature of a running server, once the database is open. */
export interface Services {
  readonly database: Database
  readonly auth: Auth
  readonly logs: Logs
  readonly events: Events
  readonly jobs: Jobs
  readonly dispatch: Dispatch
  readonly workers: Workers
  readonly artifacts: Artifacts
  /** Null: task state is off (no `state_storage`). */
  readonly state: State | null
}

export interface App {
  /** The API (after `ready`; supertest drives it without listening). */
  readonly api: Koa
  /** The API's route table (tests walk it to check that every /api route is guarded). */
  readonly router: Router
  readonly config: Config
  readonly registry: WorkspaceRegistry
  /** Resolves once the database is migrated and every feature is built (rejects if that failed). */
  readonly ready: Promise<Services>
  /** Starts listening on config.listen; resolves with the bound address. */
  listen(): Promise<AddressInfo>
  /** Starts the background parts: cluster, listeners, sweeper, leader loops, embedded worker. */
  start(): Promise<void>
  stop(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

/** dist/ui of this checkout, from src/app.ts (tsx) and from dist/app.js alike. */
const DEFAULT_UI_DIR = resolve(import.meta.dirname, '..', 'dist', 'ui')

interface LeaderLoop {
  start(): void
  stop(): Promise<void>
}

/** What every feature is built with: known before the database opens. */
interface Root {
  readonly config: Config
  readonly opts: AppOptions
  readonly logger: Logger
  readonly clock: Clock
  readonly releasers: Releasers
  /** Unique per start (and per app in one process): it names this replica's logs (log_owner). */
  readonly replicaId: string
  readonly registry: WorkspaceRegistry
  readonly workspaceFor: (name: string, revision: string) => Workspace | undefined
  readonly metrics: Metrics
  readonly readiness: () => Promise<ReadinessReport>
  /** Serves the web UI, in the readiness gate and in the API. */
  readonly ui: Koa.Middleware
}

/** The services, the API built on them, and what `start()` then starts. */
interface Built {
  readonly services: Services
  readonly api: { app: Koa; router: Router }
  readonly scheduler: SchedulerFeature
  readonly ready: ReadySignal
}

export async function createApp(config: Config, opts: AppOptions): Promise<App> {
  const { logger } = opts
  const clock = opts.clock ?? systemClock
  const releasers = new Releasers()
  let dbState = 'starting'
  let started = false
  let shuttingDown = false
  let built: Built | null = null
  const wsLogger = logger.child({ component: 'workspaces' })
  const git = { cacheDir: config.workspace_cache_dir, env: opts.env ?? {} }
  const registry = new WorkspaceRegistry({
    sources: workspaceSources(config),
    loader: (name, root, o) => loadWorkspace(name, root, { clock, ...o }),
    logger: wsLogger,
    git,
    libraries: new LibrarySet({ sources: librarySources(config), ...git, logger: wsLogger, clock }),
  })
  const readiness = async (): Promise<ReadinessReport> => {
    const state = dbState
    const db = built?.services.database.db
    const database = state === 'ok' && db ? await checkDatabase(db) : state
    const checks = {
      database,
      migrations: state === 'ok' ? 'ok' : state,
      workspaces: registry.allTried() ? 'ok' : 'loading',
    }
    const ok = !shuttingDown && started && Object.values(checks).every((v) => v === 'ok')
    return { ready: ok, shuttingDown, checks }
  }
  const root: Root = {
    config,
    opts,
    logger,
    clock,
    releasers,
    replicaId: `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
    registry,
    workspaceFor: (name, revision) => registry.versionOf(name, revision),
    metrics: createMetrics({
      nowMs: () => clock.nowMs(),
      defaultMetrics: opts.defaultMetrics ?? true,
      snapshot: async () => {
        const db = built?.services.database.db
        return db ? readMetricsCounts(db) : null
      },
    }),
    readiness,
    ui: webUi(opts.uiDir ?? DEFAULT_UI_DIR),
  }
  const http = createHttpServer({ logger, health: healthMiddleware(readiness), ui: root.ui })
  const ready = buildServices(root).then(
    (b) => {
      built = b
      dbState = 'ok'
      http.open(b.api.app, upgradeHandler(b.services))
      return b.services
    },
    (e: unknown) => {
      const err = coerceError(e)
      dbState = `error: ${err.message}`
      http.gate(`unavailable: the database could not be opened (${err.message})`)
      throw err
    },
  )
  // Callers that never await `ready` (a failed start) must not see an unhandled rejection.
  ready.catch(() => undefined)
  await registry.loadAll()
  if (config.workspace_watch) {
    const watcher = new WorkspaceWatcher({
      registry,
      logger: logger.child({ component: 'workspaces' }),
    })
    watcher.start()
    releasers.add('workspace watcher', () => watcher.stop())
  }

  let starting: Promise<void> | null = null
  let stopping: Promise<void> | null = null
  const apiOf = () => {
    if (!built) throw new Error('the API is built once the database is ready: await app.ready')
    return built.api
  }
  const app: App = {
    get api() {
      return apiOf().app
    },
    get router() {
      return apiOf().router
    },
    config,
    registry,
    ready,
    listen: () => http.listen(config.listen),
    start() {
      starting ??= (async () => {
        await ready
        if (built) await startServices(root, built)
        started = true
      })()
      return starting
    },
    stop() {
      shuttingDown = true
      stopping ??= (async () => {
        const s = built?.services
        // Waiting long-poll claims answer 204 now, so closing the server does not wait on them.
        s?.workers.stop()
        // Streams never end by themselves, and the server's close waits for them: end them first
        // (SSE responses end, sockets get 1001); clients resume with Last-Event-ID / after_seq.
        if (s) {
          s.events.streams.close()
          await s.logs.socket.close()
        }
        // New requests stop first; then the features and the database unwind (LIFO).
        await http.close()
        await ready.catch(() => undefined)
        await releasers.releaseAll((name, err) =>
          logger.error({ err, resource: name }, 'cleanup failed'),
        )
      })()
      return stopping
    },
    [Symbol.asyncDispose]() {
      return app.stop()
    },
  }
  return app
}

/** Opens the database and builds every feature on it, in dependency order, then the API. */
async function buildServices(root: Root): Promise<Built> {
  const { config, opts, logger, clock, releasers, replicaId, workspaceFor } = root
  const database = opts.database ?? (await openDatabase(config, logger))
  if (!opts.database) releasers.add('database', () => database.close())
  await migrateToLatest(database.db, logger)
  const auth = await createAuth({ db: database.db, config, clock, logger })
  const artifacts = await createArtifacts({ config, database, clock, logger })
  releasers.add('artifacts', () => artifacts.stop())
  const state = await createState({ config, database, blobs: artifacts.blobs, clock, logger })
  if (state) releasers.add('state', () => state.stop())
  const files = { artifacts: artifacts.store, state: state?.store ?? null }
  const secrets = new JobSecrets(workspaceFor)
  const logs = createLogs({
    config,
    database,
    clock,
    logger,
    replicaId,
    secretsOf: (job) => secrets.of(job).values,
    knownSecrets: (jobId) => secrets.cached(jobId)?.values,
    tuning: opts.tuning?.cluster,
  })
  releasers.add('logs', () => logs.stop())
  const events = createEvents({ database, logger, clock, pingMs: opts.tuning?.ssePingMs })
  releasers.add('events', () => events.stop())
  events.bus.on('events', (evs) => root.metrics.observeEvents(evs))
  const ready = new ReadySignal({
    database,
    replicaId,
    liveReplicas: () => logs.cluster?.heartbeat.liveReplicas ?? 1,
    logger,
  })
  const jobs = createJobs({
    config,
    database,
    clock,
    logger,
    workspaceFor,
    secrets,
    jobLogs: logs.jobLogs,
    ready,
    emit: (evs) => events.bus.emit('events', evs),
    noteLogOwners: logs.cluster ? (owners) => logs.cluster?.noteOwners(owners) : undefined,
    replicaId,
  })
  releasers.add('job effects', () => jobs.stop())
  const dispatch = createDispatch({
    config,
    database,
    logger,
    jobs,
    logs,
    ready,
    clock,
    workspaceFor,
    env: opts.env ?? {},
    launcherOverride: opts.launcherOverride,
    files,
  })
  const workers = createWorkers({
    ...{ config, database, logger, jobs, dispatch, ready, ...files },
    safetyPollMs: opts.tuning?.claimSafetyPollMs,
  })
  releasers.add('worker claims', () => workers.stop())
  const scheduler = createScheduler({
    config,
    database,
    registry: root.registry,
    jobs,
    clock,
    logger,
  })
  const services: Services = {
    ...{ database, auth, logs, events, jobs, dispatch, workers },
    ...{ artifacts, state },
  }
  return { services, api: createApi(apiDepsOf(root, services), [], root.ui), scheduler, ready }
}

/** WebSocket upgrades: the same credentials and role rules as the HTTP routes under /api. */
function upgradeHandler(s: Services): UpgradeHandler {
  return async (req, socket, head) => {
    const refused = await upgradeRefusal(s.auth.auth, req)
    if (refused) rejectUpgrade(socket, refused.status, refused.code, refused.message)
    else if (!s.logs.socket.handleUpgrade(req, socket, head))
      rejectUpgrade(socket, 404, 'not_found', 'no WebSocket endpoint at this path')
  }
}

/** The background parts: NOTIFY listener, the cluster, leader loops, sweeper, embedded worker. */
async function startServices(root: Root, b: Built): Promise<void> {
  const { logger, releasers } = root
  const { database, logs, events, dispatch } = b.services
  if (database.kind === 'postgres' && database.pgConfig) {
    const cluster = logs.cluster
    const listener = listen(
      database.pgConfig,
      [b.ready.channel, ...(cluster?.channels ?? [])],
      (channel, payload) => {
        if (channel === b.ready.channel) b.ready.onNotify(payload)
        else cluster?.onNotify(channel, payload)
      },
      logger,
    )
    releasers.add('notification listener', () => listener.close())
  }
  // Before any step runs here: the replica row is what keeps this replica's logs its own.
  await logs.start()
  releasers.add('dispatch', () => dispatch.stop())
  runLeaderLoops(root, database, () => [
    ...b.scheduler.leaderLoops(),
    events.retention(),
    createRetention({
      config: root.config,
      database,
      clock: root.clock,
      logger,
      logStore: logs.store,
      artifacts: b.services.artifacts.store,
      onDeleted: (r) => countRetention(root.metrics, r),
    }),
    ...(logs.cluster ? [logs.cluster.createTakeover()] : []),
  ])
  await dispatch.start()
}

/** What a retention pass deleted, as counters. */
function countRetention(metrics: Metrics, r: RetentionReport): void {
  const kinds = {
    jobs: r.jobs,
    steps: r.steps,
    log_files: r.logFiles,
    artifact_jobs: r.artifactJobs,
    workers: r.workers,
  }
  for (const [kind, n] of Object.entries(kinds)) if (n > 0) metrics.retentionDeleted(kind, n)
}

/** While this replica holds the leader lock it runs a fresh set of loops; losing it stops them. */
function runLeaderLoops(root: Root, database: Database, makeLoops: () => LeaderLoop[]): void {
  const { logger, releasers } = root
  let current: LeaderLoop[] = []
  const election = createLeaderElection(database, logger, {
    onElected: () => {
      logger.info('elected leader')
      current = makeLoops()
      for (const loop of current) loop.start()
    },
    onLost: () => {
      logger.warn('lost leadership')
      const loops = current
      current = []
      for (const loop of loops) void loop.stop()
    },
  })
  election.start()
  releasers.add('leader election', () => election.stop())
  releasers.add('leader loops', async () => {
    await Promise.all(current.map((loop) => loop.stop()))
  })
}

/** What the routes receive: the services themselves, and reads bound to the database. */
function apiDepsOf(root: Root, s: Services): ApiDeps {
  const { config, clock, logger } = root
  const db = s.database.db
  const { lifecycle, steps } = s.workers
  return {
    registry: root.registry,
    clock,
    logger,
    readiness: root.readiness,
    triggerFires: (ws) => listTriggerFires(db, ws),
    waiter: createJobWaiter({ bus: s.events.bus, findJob: (id) => findJobById(db, id) }),
    stats: {
      jobsByStatus: (ws) => countJobsByStatus(db, ws),
      task: (ws, task, limit) => taskDurationStats(db, ws, task, limit),
    },
    orchestrator: s.jobs.orchestrator,
    jobs: {
      get: (id) => findJobById(db, id),
      steps: (id) => listStepsOfJob(db, id),
      list: (f) => listJobs(db, f),
    },
    logs: s.logs.store,
    events: s.events.streams,
    jobMask: (job) => s.jobs.secrets.of(job),
    renderWithSecrets: (ws, tpl) => renderTemplate(tpl, { secret: ws.secrets }, { clock }),
    metrics: root.metrics,
    metricsToken: config.metrics.token ?? null,
    metricsPublic: config.metrics.public,
    auth: s.auth.auth,
    accounts: s.auth.accounts,
    audit: createAuditRecorder(s.auth.accounts, logger.child({ component: 'audit' })),
    workers: lifecycle,
    workerProtocol: {
      settings: {
        heartbeatIntervalSecs: config.workers.heartbeat_interval_secs,
        leaseTtlSecs: config.workers.lease_ttl_secs,
        maxClaimWaitSecs: config.workers.max_claim_wait_secs,
      },
      lifecycle,
      steps,
      files: s.workers.files,
    },
    artifacts: s.artifacts.store,
    state: s.state?.store ?? null,
  }
}
