/**
 * The in-process worker of `weir serve`: its `workers` row, recovery of steps an earlier server
 * process left running (embedded database only), the process launcher, the Docker Engine check
 * (and the sweep of containers left behind), and the claim loop over the in-process step source.
 */
import { hostname } from 'node:os'
import { join } from 'node:path'
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
import { DockerEngine, engineErrorMessage } from '../runner/executors/docker-engine.ts'
import { clearStepFiles, StepFiles } from '../runner/step-files.ts'
import { Worker, type ContainerSupport } from '../runner/worker.ts'
import { coerceError } from '../shared/errors.ts'
import { ContainerSweep } from './container-sweep.ts'

/** How long the Docker Engine gets to answer at start. */
const ENGINE_PROBE_MS = 3000

/**
 * The Docker Engine of the config, when it answers: the embedded worker then runs container
 * steps. Either way the log says so.
 */
async function probeEngine(config: Config, logger: Logger): Promise<DockerEngine | null> {
  const engine = new DockerEngine(config.docker.host)
  try {
    const info = await engine.ping(ENGINE_PROBE_MS)
    logger.info(
      { dockerHost: engine.address, engineVersion: info.version },
      'Docker Engine reachable: the embedded worker runs container steps',
    )
    return engine
  } catch (e) {
    logger.info(
      { dockerHost: engine.address, why: engineErrorMessage(e) },
      'no Docker Engine: container steps wait for a worker that has one',
    )
    return null
  }
}

/** Each attempt's folders, under the artifact archive (so a stored artifact is a local copy). */
function stepFiles(config: Config, workerId: string, logger: Logger): StepFiles {
  const root = join(config.artifact_storage.archive.path, '.steps', workerId)
  clearStepFiles(root)
  return new StepFiles(root, logger)
}

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
  const engine = await probeEngine(config, logger.child({ component: 'worker' }))
  const capabilities = engine ? ['script', 'docker'] : ['script']
  d.source.setCapabilities(capabilities)
  await insertEmbeddedWorker(db, {
    id: d.workerId,
    name: d.workerName,
    hostname: hostname(),
    version: VERSION,
    maxConcurrency: config.embedded_worker.concurrency,
    capabilities,
  })
  if (d.database.kind !== 'postgres') {
    // The embedded database has one process: running steps of an earlier embedded worker are orphans.
    const orphans = await expireLeasesOfOtherEmbeddedWorkers(db, d.workerId)
    if (orphans > 0) {
      logger.warn({ orphans }, 'recovering steps left running by a previous server process')
      await d.sweeper.sweepOnce()
    }
  }
  let sweep: ContainerSweep | null = null
  let containers: ContainerSupport | null = null
  if (engine) {
    sweep = new ContainerSweep({
      engine,
      db,
      logger: logger.child({ component: 'container-sweep' }),
      intervalMs: config.docker.sweep_interval_secs * 1000,
    })
    await sweep
      .sweepOnce()
      .catch((e: unknown) =>
        logger.warn({ err: coerceError(e) }, 'container sweep at start failed; retrying later'),
      )
    sweep.start()
    containers = {
      engine,
      settings: {
        runnerImage: config.docker.runner_image,
        network: config.docker.network ?? null,
        workerId: d.workerId,
        owner: `embedded:${d.workerId}`,
      },
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
  const files = d.source.files ? stepFiles(config, d.workerId, logger) : null
  const worker = new Worker({
    source: d.source,
    concurrency: config.embedded_worker.concurrency,
    launcher,
    baseEnv: stepBaseEnv(d.env),
    logger: logger.child({ component: 'worker', workerId: d.workerId }),
    heartbeatMs: config.workers.heartbeat_interval_secs * 1000,
    logBatchMs: 0,
    containers,
    stepFiles: files,
  })
  worker.start()
  return {
    // Running steps get the grace, then the launcher and the worker's row go.
    async stop() {
      try {
        await worker.stop(config.shutdown.grace_ms)
      } finally {
        await sweep?.stop()
        files?.close()
        await launcher.close()
        await markWorkerRevoked(db, d.workerId)
      }
    },
  }
}
