/**
 * The log side of the engine runtime: the live hub, the JSONL store (behind the cross-replica
 * router on PostgreSQL), the `_server` line writer, and where finished logs end.
 */
import { LogCluster } from './cluster/log-cluster.ts'
import type { Config } from './config/config-schema.ts'
import type { Database } from './db/create-db.ts'
import { findJobById, setJobLogLastSeqs } from './db/repositories/job.repository.ts'
import { createJobLogWriter } from './logs/job-log-writer.ts'
import type { JobLogs } from './logs/job-logs.ts'
import type { JobSecrets } from './jobs/job-secrets.ts'
import { createJsonlLogStore } from './logs/jsonl-log-store.ts'
import { createLogHub, type LogHub } from './logs/log-hub.ts'
import type { LogStore } from './logs/log-store.ts'
import type { RuntimeTuning } from './runtime-tuning.ts'
import type { Clock } from './shared/clock.ts'
import { createCoalescer } from './shared/coalescer.ts'
import type { Logger } from './shared/logger.ts'
import type { Releasers } from './shared/releasers.ts'

export interface LogParts {
  readonly hub: LogHub
  readonly logStore: LogStore
  readonly jobLogs: JobLogs
  /** Logs across PostgreSQL replicas; null on the embedded database. */
  readonly logCluster: LogCluster | null
}

export function createLogParts(d: {
  config: Config
  database: Database
  clock: Clock
  logger: Logger
  releasers: Releasers
  replicaId: string
  tuning?: RuntimeTuning
  jobSecrets: JobSecrets
}): LogParts {
  const { config, database, clock, logger, releasers, jobSecrets } = d
  const db = database.db
  let cluster: LogCluster | null = null
  const hub = createLogHub({
    onListenerError: (err) => logger.warn({ err }, 'log subscriber failed'),
    onSubscribersChanged: (jobId, count) => cluster?.onSubscribers(jobId, count),
  })
  // Where finished logs end; jobs ending together share one statement (a crash may forget it:
  // the log takeover ends such a log again).
  const logEnds = createCoalescer<{ jobId: string; lastSeq: number }>(async (ends) => {
    await setJobLogLastSeqs(database.relaxed, ends)
    return []
  })
  const recordLastSeq = (jobId: string, lastSeq: number) => logEnds({ jobId, lastSeq })
  const fileStore = createJsonlLogStore({
    dir: config.log_storage.local_dir,
    hub,
    now: () => clock.now(),
    // Jobs created or claimed here are known; others (after a restart, another replica's) are read.
    loadSecrets: async (jobId) => {
      const known = jobSecrets.cached(jobId)
      if (known) return known.values
      const job = await findJobById(db, jobId)
      return job ? jobSecrets.of(job).values : []
    },
  })
  // On PostgreSQL, writers go through the owner-aware store (logs across replicas).
  const logCluster =
    database.kind === 'postgres'
      ? new LogCluster({
          db,
          recordLastSeq,
          replicaId: d.replicaId,
          inner: fileStore,
          hub,
          clock,
          logger: logger.child({ component: 'log-cluster' }),
          tuning: d.tuning?.cluster,
        })
      : null
  cluster = logCluster
  const logStore: LogStore = logCluster?.store ?? fileStore
  releasers.add('log store', () => logStore.closeAll())
  const jobLogs = createJobLogWriter({
    store: logStore,
    hub,
    recordLastSeq,
    clock,
    logger,
    endLog: logCluster
      ? (jobId, status, line) => logCluster.endLog(jobId, status, line)
      : undefined,
  })
  return { hub, logStore, jobLogs, logCluster }
}
