/**
 * The log feature of `weir serve`: the live hub, the JSONL store (behind the cross-replica router
 * on PostgreSQL: cluster/), the `_server` line writer and where finished logs end, and the
 * WebSocket streams. The embedded database has one process and no cluster.
 */
import { LogCluster, type ClusterTuning } from '../cluster/log-cluster.ts'
import type { Config } from '../config/config-schema.ts'
import type { Database } from '../db/create-db.ts'
import { findJobById, setJobLogLastSeqs } from '../db/repositories/job.repository.ts'
import type { Clock } from '../shared/clock.ts'
import { createCoalescer } from '../shared/coalescer.ts'
import type { Logger } from '../shared/logger.ts'
import type { Job } from '../flow/job.ts'
import { createJobLogWriter, type JobLogs } from './job-logs.ts'
import { createJsonlLogStore } from './jsonl-log-store.ts'
import { createLogHub, type LogHub } from './log-hub.ts'
import { createLogSocketServer, type LogSocketServer } from './log-socket.ts'
import type { LogStore } from './log-store.ts'

export interface Logs {
  readonly hub: LogHub
  /** Every writer's store: the router to the owner on PostgreSQL, the local files otherwise. */
  readonly store: LogStore
  /** `_server` lines and log ends, for the engine. */
  readonly jobLogs: JobLogs
  /** WebSocket log streams (GET /api/jobs/{id}/logs/stream). */
  readonly socket: LogSocketServer
  /** Logs across PostgreSQL replicas; null on the embedded database. */
  readonly cluster: LogCluster | null
  /** Joins the cluster (its replica row keeps this replica's logs its own): before any step runs. */
  start(): Promise<void>
  stop(): Promise<void>
}

export function createLogs(d: {
  readonly config: Config
  readonly database: Database
  readonly clock: Clock
  readonly logger: Logger
  /** Names this replica's logs (jobs.log_owner). */
  readonly replicaId: string
  /** The secret values a job's lines are masked with (jobs/job-secrets.ts). */
  readonly secretsOf: (job: Job) => ReadonlyArray<string>
  /** The values known for a job without reading it (created or claimed here). */
  readonly knownSecrets: (jobId: string) => ReadonlyArray<string> | undefined
  readonly tuning?: ClusterTuning
}): Logs {
  const { config, database, clock, logger } = d
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
  const files = createJsonlLogStore({
    dir: config.log_storage.local_dir,
    hub,
    now: () => clock.now(),
    // Jobs created or claimed here are known; others (after a restart, another replica's) are read.
    loadSecrets: async (jobId) => {
      const known = d.knownSecrets(jobId)
      if (known) return known
      const job = await findJobById(db, jobId)
      return job ? d.secretsOf(job) : []
    },
  })
  cluster =
    database.kind === 'postgres'
      ? new LogCluster({
          db,
          recordLastSeq,
          replicaId: d.replicaId,
          inner: files,
          hub,
          clock,
          logger: logger.child({ component: 'log-cluster' }),
          tuning: d.tuning,
        })
      : null
  const store: LogStore = cluster?.store ?? files
  const c = cluster
  const jobLogs = createJobLogWriter({
    store,
    hub,
    recordLastSeq,
    clock,
    logger,
    endLog: c ? (jobId, status, line) => c.endLog(jobId, status, line) : undefined,
  })
  const socket = createLogSocketServer({
    hub,
    read: (jobId, o) => store.read(jobId, o),
    getJob: async (id) => {
      const job = await findJobById(db, id)
      return job ? { status: job.status, logLastSeq: job.logLastSeq } : undefined
    },
    logger: logger.child({ component: 'log-socket' }),
  })
  return {
    hub,
    store,
    jobLogs,
    socket,
    cluster,
    async start() {
      await c?.start()
    },
    async stop() {
      await socket.close()
      await c?.stop()
      await store.closeAll()
    },
  }
}
