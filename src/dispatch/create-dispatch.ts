/**
 * The dispatch feature of `weir serve`: ready steps handed to workers. The in-process step source
 * (claims over the database, the embedded worker's and the remote workers' one path), the lease
 * sweeper (silent workers, overdue steps, job timeouts) and the embedded worker itself.
 */
import { hostname } from 'node:os'
import type { Config } from '../config/config-schema.ts'
import type { Database } from '../db/create-db.ts'
import type { Jobs } from '../jobs/create-jobs.ts'
import type { Logs } from '../logs/create-logs.ts'
import type { Clock } from '../shared/clock.ts'
import { newWorkerId } from '../shared/ids.ts'
import type { Logger } from '../shared/logger.ts'
import type { ProcessLauncher } from '../runner/executors/process-launcher.ts'
import type { Workspace } from '../workspace/workspace.ts'
import { startEmbeddedWorker } from './embedded-worker.ts'
import { LeaseSweeper } from './lease-sweeper.ts'
import { LocalStepSource, type LocalStepSourceDeps } from './local-step-source.ts'
import type { ReadySignal } from './ready-signal.ts'

export interface Dispatch {
  readonly source: LocalStepSource
  readonly sweeper: LeaseSweeper
  readonly embeddedWorkerId: string
  /** Starts the sweeper and (when enabled) the embedded worker. */
  start(): Promise<void>
  /** Lets the embedded worker's running steps finish within the grace, then stops the sweeper. */
  stop(): Promise<void>
}

export function createDispatch(d: {
  readonly config: Config
  readonly database: Database
  readonly logger: Logger
  readonly jobs: Jobs
  readonly logs: Pick<Logs, 'store' | 'jobLogs'>
  readonly ready: ReadySignal
  readonly clock: Clock
  readonly workspaceFor: (name: string, revision: string) => Workspace | undefined
  /** The process environment: steps inherit it, minus Weir's own settings. */
  readonly env: Readonly<Record<string, string | undefined>>
  /** Replaces the configured launcher (benchmarks only). */
  readonly launcherOverride?: (configured: ProcessLauncher) => ProcessLauncher
  /** Where steps' artifacts and task state go (state null: off). */
  readonly files?: LocalStepSourceDeps['files']
}): Dispatch {
  const { config, database, logger, jobs } = d
  const embeddedWorkerId = newWorkerId()
  const workerName = `embedded@${hostname()}`
  const source = new LocalStepSource({
    db: database.relaxed,
    orchestrator: jobs.orchestrator,
    logs: d.logs.store,
    jobLogs: d.logs.jobLogs,
    wake: d.ready.wake,
    workspaceFor: d.workspaceFor,
    onCommitted: jobs.afterCommit,
    worker: { id: embeddedWorkerId, name: workerName, tags: [], capabilities: ['script'] },
    leaseTtlSecs: config.workers.lease_ttl_secs,
    safetyPollMs: 2000,
    logger: logger.child({ component: 'worker' }),
    clock: d.clock,
    files: d.files,
  })
  jobs.onStop((jobId, reason) => source.stopJob(jobId, reason))
  const sweeper = new LeaseSweeper({
    db: database.db,
    orchestrator: jobs.orchestrator,
    logger: logger.child({ component: 'sweeper' }),
    intervalMs: 1000,
    lostAfterSecs: config.workers.lost_after_secs,
    onCommitted: jobs.afterCommit,
  })
  let worker: { stop(): Promise<void> } | null = null
  return {
    source,
    sweeper,
    embeddedWorkerId,
    async start() {
      sweeper.start()
      if (!config.embedded_worker.enabled) return
      worker = await startEmbeddedWorker({
        config,
        database,
        workerId: embeddedWorkerId,
        workerName,
        source,
        sweeper,
        env: d.env,
        logger,
        launcherOverride: d.launcherOverride,
      })
    },
    async stop() {
      try {
        await worker?.stop()
      } finally {
        await sweeper.stop()
      }
    },
  }
}
