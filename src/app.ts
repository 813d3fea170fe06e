/**
 * Composition root for `weir serve`: builds every part from the config, wires dependencies
 * explicitly and registers each resource's cleanup on a LIFO stack.
 *
 * The HTTP server can listen before the database is open (the embedded one takes seconds to
 * start): workspace routes answer at once, database-backed routes wait for `ready`, and /readyz
 * says `starting` until then.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { hostname } from 'node:os'
import type Koa from 'koa'
import type { ApiDeps, ReadinessReport } from './api/api-deps.ts'
import { createApi } from './api/create-api.ts'
import type { Config } from './config/config-schema.ts'
import { createDb, type Database } from './db/create-db.ts'
import { checkDatabase } from './db/health.ts'
import { runMigrations } from './db/migrate.ts'
import { findJobById, listJobs, listStepsOfJob } from './db/repositories/job.repository.ts'
import { listTriggerFires } from './db/repositories/trigger-state.repository.ts'
import { secretValues } from './engine/local-step-source.ts'
import { renderTemplate } from './engine/templates.ts'
import { createEngineRuntime, type EngineRuntime } from './engine-runtime.ts'
import { systemClock, type Clock } from './shared/clock.ts'
import { coerceError, UnavailableError } from './shared/errors.ts'
import type { Logger } from './shared/logger.ts'
import { Releasers } from './shared/releasers.ts'
import { loadWorkspace } from './workspace/load-workspace.ts'
import { WorkspaceRegistry } from './workspace/workspace-registry.ts'

export interface AppOptions {
  readonly logger: Logger
  /** The process environment (steps inherit it, minus Weir's own settings). */
  readonly env?: Readonly<Record<string, string | undefined>>
  readonly clock?: Clock
  /** An already open database (tests); otherwise opened from config.db. */
  readonly database?: Database
}

export interface Runtime {
  readonly database: Database
  readonly engine: EngineRuntime
}

export interface App {
  readonly api: Koa
  readonly config: Config
  readonly registry: WorkspaceRegistry
  /** Resolves once the database is migrated and the engine is built (rejects if that failed). */
  readonly ready: Promise<Runtime>
  /** Starts listening on config.listen; resolves with the bound address. */
  listen(): Promise<AddressInfo>
  /** Starts the embedded worker, sweeper and listeners (after `ready`). */
  startEngine(): Promise<void>
  stop(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

export async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  if (config.db.url) {
    return createDb({ kind: 'postgres', url: config.db.url, poolSize: config.db.pool_size }, logger)
  }
  return createDb({ kind: 'pglite', dataDir: config.db.data_dir }, logger)
}

async function initRuntime(
  config: Config,
  opts: AppOptions,
  deps: { registry: WorkspaceRegistry; clock: Clock; releasers: Releasers },
): Promise<Runtime> {
  const { logger } = opts
  const database = opts.database ?? (await openDatabase(config, logger))
  if (!opts.database) deps.releasers.add('database', () => database.close())
  const migrated = await runMigrations(database.db)
  for (const r of migrated.results) {
    logger.info({ migration: r.migrationName, status: r.status }, 'migration')
  }
  if (migrated.error) {
    throw new Error(`database migration failed: ${migrated.error.message}`, {
      cause: migrated.error,
    })
  }
  const engine = createEngineRuntime({
    config,
    database,
    registry: deps.registry,
    clock: deps.clock,
    logger,
    env: opts.env ?? {},
    releasers: deps.releasers,
    replicaId: `${hostname()}:${process.pid}`,
  })
  return { database, engine }
}

export async function createApp(config: Config, opts: AppOptions): Promise<App> {
  const { logger } = opts
  const clock = opts.clock ?? systemClock
  const releasers = new Releasers()
  let shuttingDown = false
  const registry = new WorkspaceRegistry({
    sources: config.workspaces,
    loader: (name, root) => loadWorkspace(name, root),
    logger: logger.child({ component: 'workspaces' }),
  })
  const ready = initRuntime(config, opts, { registry, clock, releasers })
  let dbState = 'starting'
  ready.then(
    () => (dbState = 'ok'),
    (e: unknown) => (dbState = `error: ${coerceError(e).message}`),
  )
  await registry.loadAll()

  const rt = async (): Promise<Runtime> => {
    try {
      return await ready
    } catch (e) {
      throw new UnavailableError('the database is not available; see the server log', e)
    }
  }
  let started = false
  const readiness = async (): Promise<ReadinessReport> => {
    const state = dbState
    const database = state === 'ok' ? await checkDatabase((await ready).database.db) : state
    const checks = {
      database,
      migrations: state === 'ok' ? 'ok' : state,
      workspaces: registry.allTried() ? 'ok' : 'loading',
    }
    const ok = !shuttingDown && started && Object.values(checks).every((v) => v === 'ok')
    return { ready: ok, shuttingDown, checks }
  }
  const deps: ApiDeps = {
    registry,
    clock,
    logger,
    readiness,
    triggerFires: async (ws) => listTriggerFires((await rt()).database.db, ws),
    engine: {
      createJob: async (req) => (await rt()).engine.orchestrator.createJob(req),
      cancelJob: async (id) => (await rt()).engine.orchestrator.cancelJob(id),
    },
    jobs: {
      get: async (id) => findJobById((await rt()).database.db, id),
      steps: async (id) => listStepsOfJob((await rt()).database.db, id),
      list: async (f) => listJobs((await rt()).database.db, f),
    },
    logs: { read: async (jobId, o) => (await rt()).engine.logStore.read(jobId, o) },
    secretsOf: (name) => secretValues(registry.getEntry(name).current ?? undefined, {}),
    renderWithSecrets: (ws, tpl) => renderTemplate(tpl, { secret: ws.secrets }),
  }
  const { app: api } = createApi(deps)

  let server: Server | null = null
  let stopping: Promise<void> | null = null
  const app: App = {
    api,
    config,
    registry,
    ready,
    async listen() {
      const handle = api.callback()
      const srv = createServer((req, res) => void handle(req, res))
      server = srv
      const { host, port } = parseListen(config.listen)
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject)
        srv.listen(port, host, () => resolve())
      })
      const address = srv.address() as AddressInfo
      logger.info({ address: address.address, port: address.port }, 'listening')
      return address
    },
    async startEngine() {
      const { engine } = await ready
      await engine.start()
      started = true
    },
    stop() {
      shuttingDown = true
      stopping ??= (async () => {
        // New requests stop first; then the engine, log store and database unwind (LIFO).
        if (server) await closeServer(server)
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

export function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':')
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '')
  return { host: host === '' ? '0.0.0.0' : host, port: Number(listen.slice(i + 1)) }
}

/** Stops accepting connections, lets in-flight requests finish, then closes idle keep-alives. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeIdleConnections()
    setTimeout(() => server.closeAllConnections(), 5000).unref()
  })
}
