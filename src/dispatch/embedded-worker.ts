/**
 * The in-process worker of `weir serve`: its `workers` row, recovery of steps an earlier server
 * process left running (embedded database only), the process launcher and the claim loop over
 * the in-process step source.
 */
import { hostname } from 'node:os'
import type { Config } from '../config/config-schema.ts'
import type { Database } from '../db/create-db.ts'
import {
  expireLeasesOfOtherEmbeddedWorkers,
  insertEmbeddedWorker,
  markWorkerRevoked,
} from '../db/repositories/worker.repository.ts'
import type { LeaseSweeper } from './lease-sweeper.ts'
import type { LocalStepSource } from './local-step-source.ts'
import type { Logger } from '../shared/logger.ts'
import { VERSION } from '../shared/version.ts'
import { stepBaseEnv } from '../runner/base-env.ts'
import { createDirectLauncher, type ProcessLauncher } from '../runner/executors/process-launcher.ts'
import { createSpawnerLauncher, probePythonSpawner } from '../runner/executors/spawner-launcher.ts'
import { Worker } from '../runner/worker.ts'

export async function startEmbeddedWorker(d: {
  readonly config: Config
  readonly database: Database
  readonly workerId: string
  readonly workerName: string
  readonly source: LocalStepSource
  readonly sweeper: LeaseSweeper
  readonly env: Readonly<Record<string, string | undefined>>
  readonly logger: Logger
  readonly launcherOverride?: (configured: ProcessLauncher) => ProcessLauncher
}): Promise<{ stop(): Promise<void> }> {
  const { config, logger } = d
  const db = d.database.db
  await insertEmbeddedWorker(db, {
    id: d.workerId,
    name: d.workerName,
    hostname: hostname(),
    version: VERSION,
    maxConcurrency: config.embedded_worker.concurrency,
  })
  if (d.database.kind !== 'postgres') {
    // The embedded database has one process: running steps of an earlier embedded worker are orphans.
    const orphans = await expireLeasesOfOtherEmbeddedWorkers(db, d.workerId)
    if (orphans > 0) {
      logger.warn({ orphans }, 'recovering steps left running by a previous server process')
      await d.sweeper.sweepOnce()
    }
  }
  const kind = config.embedded_worker.launcher
  const pythonPath = kind === 'spawner' ? probePythonSpawner() : null
  if (kind === 'spawner' && !pythonPath)
    logger.info('python3 (3.9+) not found: steps are spawned through a node helper')
  const configured =
    kind === 'direct'
      ? createDirectLauncher()
      : createSpawnerLauncher({ pythonPath: pythonPath ?? undefined, logger })
  const launcher = d.launcherOverride ? d.launcherOverride(configured) : configured
  const worker = new Worker({
    source: d.source,
    concurrency: config.embedded_worker.concurrency,
    launcher,
    baseEnv: stepBaseEnv(d.env),
    logger: logger.child({ component: 'worker', workerId: d.workerId }),
    heartbeatMs: config.workers.heartbeat_interval_secs * 1000,
    logBatchMs: 0,
  })
  worker.start()
  return {
    // Running steps get the grace, then the launcher and the worker's row go.
    async stop() {
      try {
        await worker.stop(config.shutdown.grace_ms)
      } finally {
        await launcher.close()
        await markWorkerRevoked(db, d.workerId)
      }
    },
  }
}
