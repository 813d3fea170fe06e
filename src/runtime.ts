/**
 * The database-backed half of `weir serve`, loaded by app.ts after the HTTP server listens:
 * opens and migrates the database, builds the engine, and exposes the reads the API needs.
 */
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { ApiDeps } from './api/api-deps.ts'
import { createAuthRuntime, type AuthRuntime } from './auth/auth-runtime.ts'
import type { Config } from './config/config-schema.ts'
import { createDb, type Database } from './db/create-db.ts'
import { checkDatabase } from './db/health.ts'
import { readMetricsCounts, type MetricsCounts } from './db/queries/metrics-snapshot.ts'
import { runMigrations } from './db/migrate.ts'
import { findJobById, listJobs, listStepsOfJob } from './db/repositories/job.repository.ts'
import { listTriggerFires } from './db/repositories/trigger-state.repository.ts'
import { createEngineRuntime, type EngineRuntime } from './engine-runtime.ts'
import type { Clock } from './shared/clock.ts'
import type { Logger } from './shared/logger.ts'
import type { Releasers } from './shared/releasers.ts'
import type { ProcessLauncher } from './runner/executors/process-launcher.ts'
import type { RuntimeTuning } from './runtime-tuning.ts'
import type { WorkspaceRegistry } from './workspace/workspace-registry.ts'

export interface Runtime {
  readonly database: Database
  readonly engine: EngineRuntime
  readonly api: Pick<ApiDeps, 'triggerFires' | 'engine' | 'jobs' | 'logs'>
  /** Users, API keys, audit log; the authenticator when the config has `auth`. */
  readonly auth: AuthRuntime
  checkDatabase(): Promise<string>
  /** Current counts for the /metrics gauges. */
  metricsCounts(): Promise<MetricsCounts>
}

export async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  if (config.db.url) {
    return createDb(
      {
        kind: 'postgres',
        url: config.db.url,
        poolSize: config.db.pool_size,
        preparedStatements: config.db.prepared_statements,
      },
      logger,
    )
  }
  return createDb({ kind: 'pglite', dataDir: config.db.data_dir }, logger)
}

export async function initRuntime(d: {
  config: Config
  logger: Logger
  env: Readonly<Record<string, string | undefined>>
  database?: Database
  launcherOverride?: (configured: ProcessLauncher) => ProcessLauncher
  tuning?: RuntimeTuning
  registry: WorkspaceRegistry
  clock: Clock
  releasers: Releasers
}): Promise<Runtime> {
  const { logger } = d
  const database = d.database ?? (await openDatabase(d.config, logger))
  if (!d.database) d.releasers.add('database', () => database.close())
  const migrated = await runMigrations(database.db)
  for (const r of migrated.results) {
    logger.info({ migration: r.migrationName, status: r.status }, 'migration')
  }
  if (migrated.error) {
    throw new Error(`database migration failed: ${migrated.error.message}`, {
      cause: migrated.error,
    })
  }
  const auth = await createAuthRuntime({
    db: database.db,
    config: d.config,
    clock: d.clock,
    logger,
  })
  const engine = createEngineRuntime({
    config: d.config,
    database,
    registry: d.registry,
    clock: d.clock,
    logger,
    env: d.env,
    releasers: d.releasers,
    // Unique per start (and per app in one process): it names this replica's logs (log_owner).
    replicaId: `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
    launcherOverride: d.launcherOverride,
    tuning: d.tuning,
  })
  const db = database.db
  return {
    database,
    engine,
    auth,
    checkDatabase: () => checkDatabase(db),
    metricsCounts: () => readMetricsCounts(db),
    api: {
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
    },
  }
}
