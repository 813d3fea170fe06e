/**
 * The job feature of `weir serve`: the orchestrator (create, finish, cancel, time out jobs) and
 * the runner of what its committed transactions announce (`_server` lines, events, wake-ups,
 * stop requests, log ends).
 */
import type { Config } from '../config/config-schema.ts'
import type { Database } from '../db/create-db.ts'
import type { AfterCommit } from '../flow/after-commit.ts'
import type { JobLogs } from '../logs/job-logs.ts'
import type { Clock } from '../shared/clock.ts'
import type { DomainEvent } from '../shared/events.ts'
import type { Logger } from '../shared/logger.ts'
import type { Workspace } from '../workspace/workspace.ts'
import { EffectsRunner } from './effects-runner.ts'
import type { JobSecrets } from './job-secrets.ts'
import { Orchestrator } from './orchestrator.ts'
import { ConflictError, NotFoundError } from '../shared/errors.ts'

export type StopListener = (jobId: string, reason: 'cancel_requested' | 'timeout') => void

export interface Jobs {
  readonly orchestrator: Orchestrator
  readonly secrets: JobSecrets
  /** Runs a committed transaction's effects (every writer of jobs and steps calls it). */
  readonly afterCommit: (fx: AfterCommit) => void
  /** Cancels and timeouts ask the steps handed out here to stop. */
  onStop(listener: StopListener): void
  stop(): void
}

export function createJobs(d: {
  readonly config: Config
  readonly database: Database
  readonly clock: Clock
  readonly logger: Logger
  readonly workspaceFor: (name: string, revision: string) => Workspace | undefined
  readonly secrets: JobSecrets
  readonly jobLogs: JobLogs
  /** Wakes claimers when steps become ready (dispatch/ready-signal.ts). */
  readonly ready: { notify(): void }
  /** Publishes committed events (events/create-events.ts). */
  readonly emit: (events: ReadonlyArray<DomainEvent>) => void
  /** Learns log owners of jobs created or claimed here (logs across replicas). */
  readonly noteLogOwners?: (owners: ReadonlyMap<string, string | null>) => void
  /** Names this replica's logs (jobs.log_owner of the jobs it creates). */
  readonly replicaId: string
}): Jobs {
  const stopListeners: StopListener[] = []
  const effects = new EffectsRunner({
    jobLogs: d.jobLogs,
    ready: d.ready,
    clock: d.clock,
    logger: d.logger,
    emit: d.emit,
    stopJob: (jobId, reason) => {
      for (const l of stopListeners) l(jobId, reason)
    },
    noteLogOwners: d.noteLogOwners,
    childEnded: (parentJobId, childJobId) => orchestrator.childEnded(parentJobId, childJobId),
    cancelChild: async (childJobId) => {
      // A child that has ended already needs nothing (409), nor one that is gone (404).
      await orchestrator.cancelJob(childJobId).catch((e: unknown) => {
        if (!(e instanceof ConflictError || e instanceof NotFoundError)) throw e
      })
    },
  })
  const afterCommit = (fx: AfterCommit) => effects.run(fx)
  const orchestrator = new Orchestrator({
    db: d.database.db,
    clock: d.clock,
    logger: d.logger.child({ component: 'orchestrator' }),
    workspaceFor: d.workspaceFor,
    onCommitted: afterCommit,
    defaults: {
      stepTimeoutSecs: d.config.defaults.step_timeout_secs,
      jobTimeoutSecs: d.config.defaults.job_timeout_secs ?? null,
    },
    logOwner: d.replicaId,
    secrets: d.secrets,
  })
  return {
    orchestrator,
    secrets: d.secrets,
    afterCommit,
    onStop: (listener) => void stopListeners.push(listener),
    stop: () => effects.stop(),
  }
}
