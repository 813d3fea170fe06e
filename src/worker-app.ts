/**
 * Composition root for `weir worker`: the HTTP step source, the claim loop, the process launcher
 * and the Docker Engine for container steps, built from the worker's settings. It loads no
 * database code (a unit test walks its import graph): a remote worker only ever talks HTTP to a
 * Weir server.
 */
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { WorkerConfig } from './config/worker-config.ts'
import { coerceError } from './shared/errors.ts'
import type { Logger } from './shared/logger.ts'
import { VERSION } from './shared/version.ts'
import { stepBaseEnv } from './runner/base-env.ts'
import { DockerEngine, engineErrorMessage } from './runner/executors/docker-engine.ts'
import { removeOwnedContainers } from './runner/executors/container-sweep.ts'
import { createDirectLauncher, type ProcessLauncher } from './runner/executors/process-launcher.ts'
import { createSpawnerLauncher, probePythonSpawner } from './runner/executors/spawner-launcher.ts'
import { HttpStepSource } from './runner/http-step-source.ts'
import { RevisionCache } from './runner/revision-cache.ts'
import { CredentialStore, stateFilePath } from './runner/registration.ts'
import { StepFiles } from './runner/step-files.ts'
import { WorkerHttp, type WorkerHttpOptions } from './runner/worker-http.ts'
import { Worker } from './runner/worker.ts'

export { WorkerRefusedError } from './runner/http-step-source.ts'

/** The worker cannot start as configured (e.g. `--capabilities docker` without an engine). */
export class WorkerSetupError extends Error {
  override readonly name = 'WorkerSetupError'
}

export interface WorkerAppOptions {
  readonly config: WorkerConfig
  readonly logger: Logger
  /** The process environment: steps inherit it, minus Weir's own settings. */
  readonly env: Readonly<Record<string, string | undefined>>
  readonly hostname: string
  /** What the worker's HTTP client streams with, and a hook on each JSON call (tracing). */
  readonly http?: WorkerHttpOptions
  /** Replaces the process launcher (benchmarks: steps that exit at once); the config cannot. */
  readonly launcherOverride?: (configured: ProcessLauncher) => ProcessLauncher
}

export interface WorkerApp {
  /**
   * Loads the saved credentials or registers (waiting for the server if it is down), then starts
   * claiming. Rejects with WorkerRefusedError when the server refuses the enrollment token.
   */
  start(): Promise<void>
  /**
   * Stops claiming, lets running steps finish within the grace, kills the rest and reports them
   * failed ("worker shutting down"), then deregisters. Idempotent.
   */
  stop(): Promise<void>
  readonly workerId: string | null
}

/** Default step timeout when a claim carries none; the server enforces the real one. */
const FALLBACK_TIMEOUT_SECS = 24 * 3600
/** How long the Docker Engine gets to answer at start. */
const ENGINE_PROBE_MS = 3000

export function createWorkerApp(o: WorkerAppOptions): WorkerApp {
  const { config, logger } = o
  const http = new WorkerHttp(config.server, o.http)
  const scratchDir = mkdtempSync(join(tmpdir(), `weir-worker-${config.name}-`))
  const engine = new DockerEngine(config.docker.host)
  /** The label of this worker's containers: a restarted worker of the same name removes them. */
  const owner = `worker:${config.name}`
  const newSource = (capabilities: ReadonlyArray<string>) =>
    new HttpStepSource({
      http,
      enrollmentToken: config.token,
      store: new CredentialStore(stateFilePath(config.stateDir, config.name)),
      registration: {
        name: config.name,
        hostname: o.hostname,
        version: VERSION,
        capabilities,
        tags: config.tags,
        maxConcurrency: config.concurrency,
      },
      claimContext: {
        workspaceDirs: config.workspaceDirs,
        scratchDir,
        defaultTimeoutSecs: FALLBACK_TIMEOUT_SECS,
        containers: capabilities.includes('docker'),
      },
      logger,
      bootId: randomUUID(),
    })
  let source: HttpStepSource | null = null
  // The files of workspace and library revisions that `source:` steps run in.
  const revisionFiles = new RevisionCache({
    dir: config.cacheDir,
    keep: config.keepRevisions,
    http,
    secret: () => source?.credentials?.workerSecret ?? null,
    logger,
  })
  // The python posix_spawn helper when python3 is there (the fastest start here), else direct.
  const pythonPath = probePythonSpawner()
  const configured = pythonPath ? createSpawnerLauncher({ pythonPath }) : createDirectLauncher()
  const launcher = o.launcherOverride ? o.launcherOverride(configured) : configured
  const starting = new AbortController()
  let worker: Worker | null = null
  let stopping: Promise<void> | null = null

  /** The capabilities to register: `docker` when the engine answers (or must, when listed). */
  async function capabilities(): Promise<string[]> {
    const caps = [...config.capabilities]
    const wanted = caps.includes('docker')
    if (!wanted && !config.detectDocker) return caps
    try {
      const info = await engine.ping(ENGINE_PROBE_MS)
      logger.info(
        { dockerHost: engine.address, engineVersion: info.version },
        'Docker Engine reachable: this worker runs container steps',
      )
      if (!wanted) caps.push('docker')
    } catch (e) {
      const why = engineErrorMessage(e)
      if (wanted) {
        throw new WorkerSetupError(
          `--capabilities lists docker, but the Docker Engine at ${engine.address} does not answer: ${why}`,
        )
      }
      logger.info(
        { dockerHost: engine.address, why },
        'no Docker Engine: this worker runs no container steps',
      )
    }
    return caps
  }

  async function start(): Promise<void> {
    const caps = await capabilities()
    if (stopping) return
    source = newSource(caps)
    const creds = await source.connect(starting.signal)
    if (stopping) return
    if (caps.includes('docker')) {
      // Containers an earlier run of this worker left (a kill -9): none of their steps runs now.
      const removed = await removeOwnedContainers(engine, owner).catch((e: unknown) => {
        logger.warn({ err: coerceError(e) }, 'could not sweep containers left by an earlier run')
        return 0
      })
      if (removed > 0) logger.info({ removed }, 'removed containers left by an earlier run')
    }
    worker = new Worker({
      source,
      concurrency: config.concurrency,
      launcher,
      baseEnv: stepBaseEnv(o.env),
      logger,
      heartbeatMs: creds.heartbeatIntervalSecs * 1000,
      // Up to 25 ms of batching: one lease call carries many lines of a chatty step.
      logBatchMs: 25,
      heartbeatWhenIdle: true,
      shutdownFailureMessage: 'worker shutting down',
      // Each attempt's $ARTIFACTS_DIR and state folders, under the scratch folder.
      stepFiles: new StepFiles(join(scratchDir, '.steps'), logger),
      revisionFiles,
      containers: caps.includes('docker')
        ? {
            engine,
            settings: {
              runnerImage: config.docker.runnerImage,
              network: config.docker.network,
              workerId: creds.workerId,
              owner,
            },
          }
        : null,
    })
    worker.start()
    logger.info(
      {
        workerId: creds.workerId,
        server: config.server,
        concurrency: config.concurrency,
        tags: config.tags,
        capabilities: caps,
        workspaces: Object.keys(config.workspaceDirs),
      },
      'worker started',
    )
  }

  async function stop(): Promise<void> {
    starting.abort()
    if (worker && source) {
      logger.info({ graceSecs: config.graceSecs, running: worker.inFlight }, 'stopping')
      await worker.stop(config.graceSecs * 1000)
      revisionFiles.close()
      await source.deregister()
    }
    source?.close()
    http.close()
    await launcher.close()
    try {
      rmSync(scratchDir, { recursive: true, force: true })
    } catch (e) {
      logger.warn({ err: coerceError(e), scratchDir }, 'could not remove the scratch folder')
    }
  }

  return {
    start,
    stop: () => (stopping ??= stop()),
    get workerId() {
      return source?.credentials?.workerId ?? null
    },
  }
}
