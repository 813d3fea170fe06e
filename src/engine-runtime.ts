/**
 * The execution side of `weir serve`, built by app.ts (the composition root): log store and hub,
 * orchestrator, effects, the in-process step source, the embedded worker and the lease sweeper.
 */
import { EventEmitter } from 'node:events'
import { hostname } from 'node:os'
import type { Config } from './config/config-schema.ts'
import type { Database } from './db/create-db.ts'
import { createLeaderElection } from './db/leader-lock.ts'
import { listen, notify, READY_CHANNEL } from './db/notifications.ts'
import { renderTemplate } from './engine/templates.ts'
import { Scheduler } from './scheduler/scheduler.ts'
import {
  expireLeasesOfOtherEmbeddedWorkers,
  insertEmbeddedWorker,
  markWorkerRevoked,
} from './db/repositories/worker.repository.ts'
import { EffectsRunner } from './engine/effects-runner.ts'
import { createJobLogWriter } from './engine/job-log-writer.ts'
import { LeaseSweeper } from './engine/lease-sweeper.ts'
import { LocalStepSource } from './engine/local-step-source.ts'
import { Orchestrator } from './engine/orchestrator.ts'
import { createLogHub, type LogHub } from './logs/log-hub.ts'
import { createJsonlLogStore } from './logs/jsonl-log-store.ts'
import { createLogSocketServer, type LogSocketServer } from './logs/log-socket.ts'
import { findJobById } from './db/repositories/job.repository.ts'
import type { LogStore } from './logs/log-store.ts'
import type { Clock } from './shared/clock.ts'
import { coerceError } from './shared/errors.ts'
import type { DomainEvent } from './shared/events.ts'
import { newWorkerId } from './shared/ids.ts'
import type { Logger } from './shared/logger.ts'
import type { Releasers } from './shared/releasers.ts'
import { WakeSignal } from './shared/wake-signal.ts'
import { createDirectLauncher } from './worker/executors/process-launcher.ts'
import { createSpawnerLauncher } from './worker/executors/spawner-launcher.ts'
import { Worker } from './worker/worker.ts'
import type { WorkspaceRegistry } from './workspace/workspace-registry.ts'

export interface EngineRuntime {
  readonly orchestrator: Orchestrator
  readonly logStore: LogStore
  readonly hub: LogHub
  readonly events: EventEmitter<{ events: [ReadonlyArray<DomainEvent>] }>
  readonly source: LocalStepSource
  readonly sweeper: LeaseSweeper
  readonly embeddedWorkerId: string
  /** WebSocket log streams (GET /api/jobs/{id}/logs/stream). */
  readonly logSocket: LogSocketServer
  /** Starts the embedded worker, sweeper and listeners. */
  start(): Promise<void>
}

export const VERSION = '0.1.0'

/** The environment steps inherit: the server's own, minus Weir's settings and the database URL. */
export function stepBaseEnv(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || k.startsWith('WEIR_') || k === 'DATABASE_URL') continue
    out[k] = v
  }
  return out
}

export function createEngineRuntime(d: {
  config: Config
  database: Database
  registry: WorkspaceRegistry
  clock: Clock
  logger: Logger
  env: Readonly<Record<string, string | undefined>>
  releasers: Releasers
  replicaId: string
}): EngineRuntime {
  const { config, database, registry, clock, logger, releasers } = d
  const db = database.db
  const hub = createLogHub({
    onListenerError: (err) => logger.warn({ err }, 'log subscriber failed'),
  })
  const logStore = createJsonlLogStore({
    dir: config.log_storage.local_dir,
    hub,
    now: () => clock.now(),
  })
  releasers.add('log store', () => logStore.closeAll())
  const jobLogs = createJobLogWriter({ store: logStore, hub, db, clock, logger })
  const wake = new WakeSignal()
  const events = new EventEmitter<{ events: [ReadonlyArray<DomainEvent>] }>()
  const workspaceFor = (name: string, revision: string) =>
    registry.getVersion(name, revision) ?? registry.getEntry(name).current ?? undefined
  const isPg = database.kind === 'postgres'
  let source: LocalStepSource | null = null
  const effects = new EffectsRunner({
    jobLogs,
    wake,
    clock,
    logger,
    emit: (evs) => events.emit('events', evs),
    notifyReady: () => {
      if (isPg)
        notify(db, READY_CHANNEL, d.replicaId).catch((err: unknown) =>
          logger.warn({ err: coerceError(err) }, 'NOTIFY failed'),
        )
    },
    stopJob: (jobId, reason) => source?.stopJob(jobId, reason),
  })
  releasers.add('effects', () => effects.stop())
  const orchestrator = new Orchestrator({
    db,
    clock,
    logger: logger.child({ component: 'orchestrator' }),
    workspaceFor,
    onCommitted: (fx) => effects.run(fx),
    defaults: {
      stepTimeoutSecs: config.defaults.step_timeout_secs,
      jobTimeoutSecs: config.defaults.job_timeout_secs ?? null,
    },
    logOwner: d.replicaId,
  })
  const embeddedWorkerId = newWorkerId()
  const workerName = `embedded@${hostname()}`
  source = new LocalStepSource({
    db,
    orchestrator,
    logs: logStore,
    jobLogs,
    wake,
    workspaceFor,
    onCommitted: (fx) => effects.run(fx),
    worker: { id: embeddedWorkerId, name: workerName, tags: [] },
    leaseTtlSecs: config.workers.lease_ttl_secs,
    safetyPollMs: 2000,
    logger: logger.child({ component: 'worker' }),
  })
  const sweeper = new LeaseSweeper({
    db,
    orchestrator,
    logger: logger.child({ component: 'sweeper' }),
    intervalMs: 1000,
  })
  const localSource = source
  const logSocket = createLogSocketServer({
    hub,
    read: (jobId, o) => logStore.read(jobId, o),
    getJob: async (id) => {
      const job = await findJobById(db, id)
      return job ? { status: job.status, logLastSeq: job.logLastSeq } : undefined
    },
    logger: logger.child({ component: 'log-socket' }),
  })
  releasers.add('log sockets', () => logSocket.close())

  /** One scheduler runs while this replica holds the leader lock; a new one per election. */
  function startScheduling(): void {
    let current: Scheduler | null = null
    const makeScheduler = () =>
      new Scheduler({
        db,
        registry,
        orchestrator,
        clock,
        logger,
        onCommitted: (fx) => effects.run(fx),
        renderDefault: (ws, tpl) => renderTemplate(tpl, { secret: ws.secrets }),
        defaults: {
          catchUp: config.scheduler.catch_up,
          maxCatchUp: config.scheduler.max_catch_up,
          stepTimeoutSecs: config.defaults.step_timeout_secs,
          jobTimeoutSecs: config.defaults.job_timeout_secs ?? null,
        },
      })
    const election = createLeaderElection(database, logger, {
      onElected: () => {
        logger.info('elected scheduler leader')
        current = makeScheduler()
        current.start()
      },
      onLost: () => {
        logger.warn('lost scheduler leadership')
        const s = current
        current = null
        void s?.stop()
      },
    })
    election.start()
    releasers.add('leader election', () => election.stop())
    releasers.add('scheduler', async () => {
      await current?.stop()
    })
  }

  async function start(): Promise<void> {
    if (isPg && database.pgConfig) {
      // Other replicas' wake-ups only: this process already woke its own worker locally.
      const listener = listen(
        database.pgConfig,
        [READY_CHANNEL],
        (_channel, payload) => {
          if (payload !== d.replicaId) wake.notify()
        },
        logger,
      )
      releasers.add('notification listener', () => listener.close())
    }
    sweeper.start()
    releasers.add('lease sweeper', () => sweeper.stop())
    if (config.scheduler.enabled) startScheduling()
    if (!config.embedded_worker.enabled) return
    await insertEmbeddedWorker(db, {
      id: embeddedWorkerId,
      name: workerName,
      hostname: hostname(),
      version: VERSION,
      maxConcurrency: config.embedded_worker.concurrency,
    })
    releasers.add('embedded worker row', () => markWorkerRevoked(db, embeddedWorkerId))
    if (!isPg) {
      // The embedded database has one process: running steps of an earlier embedded worker are orphans.
      const orphans = await expireLeasesOfOtherEmbeddedWorkers(db, embeddedWorkerId)
      if (orphans > 0) {
        logger.warn({ orphans }, 'recovering steps left running by a previous server process')
        await sweeper.sweepOnce()
      }
    }
    const launcher =
      config.embedded_worker.launcher === 'direct'
        ? createDirectLauncher()
        : createSpawnerLauncher()
    releasers.add('process launcher', () => launcher.close())
    const worker = new Worker({
      source: localSource,
      concurrency: config.embedded_worker.concurrency,
      launcher,
      baseEnv: stepBaseEnv(d.env),
      logger: logger.child({ component: 'worker', workerId: embeddedWorkerId }),
      heartbeatMs: config.workers.heartbeat_interval_secs * 1000,
      logBatchMs: 0,
    })
    worker.start()
    releasers.add('embedded worker', () => worker.stop(config.shutdown.grace_ms))
  }

  return {
    orchestrator,
    logStore,
    hub,
    events,
    source: localSource,
    sweeper,
    embeddedWorkerId,
    logSocket,
    start,
  }
}
