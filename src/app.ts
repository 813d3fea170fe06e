/**
 * Composition root for `weir serve`: builds every part from the config, wires dependencies
 * explicitly and registers each resource's cleanup on a LIFO stack.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type Koa from 'koa'
import type { Config } from './config/config-schema.ts'
import { createApi } from './api/create-api.ts'
import type { ApiDeps, ReadinessReport } from './api/api-deps.ts'
import { createDb, type Database } from './db/create-db.ts'
import { checkDatabase } from './db/health.ts'
import { runMigrations } from './db/migrate.ts'
import { listTriggerFires } from './db/repositories/trigger-state.repository.ts'
import { systemClock, type Clock } from './shared/clock.ts'
import { coerceError } from './shared/errors.ts'
import type { Logger } from './shared/logger.ts'
import { Releasers } from './shared/releasers.ts'
import { loadWorkspace } from './workspace/load-workspace.ts'
import { WorkspaceRegistry } from './workspace/workspace-registry.ts'
import { hostname } from 'node:os'
import { createEngineRuntime, type EngineRuntime } from './engine-runtime.ts'
import { findJobById, listJobs, listStepsOfJob } from './db/repositories/job.repository.ts'
import { secretValues } from './engine/local-step-source.ts'
import { renderTemplate } from './engine/templates.ts'

export interface AppOptions {
  readonly logger: Logger
  /** The process environment (steps inherit it, minus Weir's own settings). */
  readonly env?: Readonly<Record<string, string | undefined>>
  readonly clock?: Clock
  /** An already open database (tests); otherwise opened from config.db. */
  readonly database?: Database
}

export interface App {
  readonly api: Koa
  readonly config: Config
  readonly database: Database
  readonly registry: WorkspaceRegistry
  readonly engine: EngineRuntime
  /** Starts listening on config.listen; resolves with the bound address. */
  listen(): Promise<AddressInfo>
  stop(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

export async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  if (config.db.url)
    return createDb({ kind: 'postgres', url: config.db.url, poolSize: config.db.pool_size }, logger)
  return createDb({ kind: 'pglite', dataDir: config.db.data_dir }, logger)
}

export async function createApp(config: Config, opts: AppOptions): Promise<App> {
  const { logger } = opts
  const clock = opts.clock ?? systemClock
  const releasers = new Releasers()
  let shuttingDown = false
  try {
    const database = opts.database ?? (await openDatabase(config, logger))
    if (!opts.database) releasers.add('database', () => database.close())
    const migrated = await runMigrations(database.db)
    if (migrated.error)
      throw new Error(`database migration failed: ${migrated.error.message}`, {
        cause: migrated.error,
      })
    for (const r of migrated.results)
      logger.info({ migration: r.migrationName, status: r.status }, 'migration')

    const registry = new WorkspaceRegistry({
      sources: config.workspaces,
      loader: (name, root) => loadWorkspace(name, root),
      logger: logger.child({ component: 'workspaces' }),
    })
    await registry.loadAll()

    const readiness = async (): Promise<ReadinessReport> => {
      const dbCheck = await checkDatabase(database.db)
      const checks = {
        database: dbCheck,
        migrations: 'ok',
        workspaces: registry.allTried() ? 'ok' : 'loading',
      }
      const ready = !shuttingDown && Object.values(checks).every((v) => v === 'ok')
      return { ready, shuttingDown, checks }
    }
    const engine = createEngineRuntime({
      config,
      database,
      registry,
      clock,
      logger,
      env: opts.env ?? {},
      releasers,
      replicaId: `${hostname()}:${process.pid}`,
    })
    const db = database.db
    const deps: ApiDeps = {
      registry,
      clock,
      logger,
      readiness,
      triggerFires: (ws) => listTriggerFires(db, ws),
      engine: {
        createJob: (req) => engine.orchestrator.createJob(req),
        cancelJob: (id) => engine.orchestrator.cancelJob(id),
      },
      jobs: {
        get: (id) => findJobById(db, id),
        steps: (id) => listStepsOfJob(db, id),
        list: (f) => listJobs(db, f),
      },
      logs: { read: (jobId, o) => engine.logStore.read(jobId, o) },
      secretsOf: (name) => secretValues(registry.getEntry(name).current ?? undefined, {}),
      renderWithSecrets: (ws, tpl) => renderTemplate(tpl, { secret: ws.secrets }),
    }
    const { app: api } = createApi(deps)

    let server: Server | null = null
    const app: App = {
      api,
      config,
      database,
      registry,
      engine,
      async listen() {
        await engine.start()
        const handle = api.callback()
        server = createServer((req, res) => void handle(req, res))
        const srv = server
        releasers.add('http server', () => closeServer(srv))
        const { host, port } = parseListen(config.listen)
        await new Promise<void>((resolve, reject) => {
          srv.once('error', reject)
          srv.listen(port, host, () => resolve())
        })
        const address = srv.address() as AddressInfo
        logger.info({ address: address.address, port: address.port }, 'listening')
        return address
      },
      stop() {
        shuttingDown = true
        return releasers.releaseAll((name, err) =>
          logger.error({ err, resource: name }, 'cleanup failed'),
        )
      },
      [Symbol.asyncDispose]() {
        return app.stop()
      },
    }
    return app
  } catch (e) {
    await releasers.releaseAll().catch(() => undefined)
    throw coerceError(e)
  }
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
