/**
 * The remote worker feature of `weir serve` (API.md §7.2, §11): registration, heartbeats, drains
 * and revocation (the lifecycle), and the step calls of the lease-token chain (claims, start,
 * logs, cancel-check, complete), over the same claims and finishes as the embedded worker.
 */
import type { Config } from '../config/config-schema.ts'
import type { Database } from '../db/create-db.ts'
import type { Dispatch } from '../dispatch/create-dispatch.ts'
import type { ReadySignal } from '../dispatch/ready-signal.ts'
import type { Jobs } from '../jobs/create-jobs.ts'
import { monotonicMs } from '../shared/clock.ts'
import type { Logger } from '../shared/logger.ts'
import type { ArtifactStore } from '../artifacts/artifact-store.ts'
import type { StateStore } from '../state/state-store.ts'
import { RemoteStepCalls } from './remote-step-calls.ts'
import { RemoteStepFiles } from './remote-step-files.ts'
import { WorkerLifecycle } from './worker-lifecycle.ts'

export interface Workers {
  readonly lifecycle: WorkerLifecycle
  readonly steps: RemoteStepCalls
  /** Artifacts and task state of remote workers' steps. */
  readonly files: RemoteStepFiles
  /** Waiting long-poll claims answer "no work" at once, and new ones do not wait. */
  stop(): void
}

export function createWorkers(d: {
  readonly config: Config
  readonly database: Database
  readonly logger: Logger
  readonly jobs: Jobs
  readonly dispatch: Pick<Dispatch, 'source'>
  readonly ready: ReadySignal
  readonly artifacts: ArtifactStore
  readonly state: StateStore | null
  /** Longest wait of a parked long poll without a wake-up (covers a lost NOTIFY). */
  readonly safetyPollMs?: number
}): Workers {
  const { config, database, logger, jobs } = d
  const lifecycle = new WorkerLifecycle({
    db: database.db,
    orchestrator: jobs.orchestrator,
    onCommitted: jobs.afterCommit,
    logger: logger.child({ component: 'workers' }),
    workerToken: config.worker_token,
    leaseTtlSecs: config.workers.lease_ttl_secs,
  })
  const steps = new RemoteStepCalls({
    db: database.db,
    orchestrator: jobs.orchestrator,
    source: d.dispatch.source,
    wake: d.ready.wake,
    notifyReady: () => d.ready.notify(),
    leaseTtlSecs: config.workers.lease_ttl_secs,
    safetyPollMs: d.safetyPollMs ?? 2000,
    logger: logger.child({ component: 'worker-protocol' }),
    monotonicMs,
  })
  const files = new RemoteStepFiles({
    db: database.db,
    artifacts: d.artifacts,
    state: d.state,
  })
  return { lifecycle, steps, files, stop: () => steps.close() }
}
