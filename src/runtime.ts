/**
 * The database-backed half of `weir serve`, loaded by app.ts after the HTTP server listens:
 * opens and migrates the database, builds the engine, and exposes the reads the API needs.
 */
import { hostname } from 'node:os'
import type { ApiDeps } from './api/api-deps.ts'
import type { Config } from './config/config-schema.ts'
import { createDb, type Database } from './db/create-db.ts'
import { checkDatabase } from './db/health.ts'
import { runMigrations } from './db/migrate.ts'
import { findJobById, listJobs, listStepsOfJob } from './db/repositories/job.repository.ts'
import { listTriggerFires } from './db/repositories/trigger-state.repository.ts'
import { createEngineRuntime, type EngineRuntime } from './engine-runtime.ts'
import type { Clock } from './shared/clock.ts'
import type { Logger } from './shared/logger.ts'
import type { Releasers } from './shared/releasers.ts'
import type { WorkspaceRegistry } from './workspace/workspace-registry.ts'

export interface Runtime {
  readonly database: Database
  readonly engine: EngineRuntime
  readonly api: Pick<ApiDeps, 'triggerFires' | 'engine' | 'jobs' | 'logs'>
  checkDatabase(): Promise<string>
}

export async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  if (config.db.url) {
    return createDb({ kind: 'postgres', url: config.db.url, poolSize: config.db.pool_size }, logger)
  }
  return createDb({ kind: 'pglite', dataDir: config.db.data_dir }, logger)
}

export async function initRuntime(d: {
  config: Config
  logger: Logger
  env: Readonly<Record<string, string | undefined>>
  database?: Database
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
  const engine = createEngineRuntime({
    config: d.config,
    database,
    registry: d.registry,
    clock: d.clock,
    logger,
    env: d.env,
    releasers: d.releasers,
    replicaId: `${hostname()}:${process.pid}`,
  })
  const db = database.db
  return {
    database,
    engine,
    checkDatabase: () => checkDatabase(db),
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
