/**
 * The execution side of `weir serve`, built by app.ts (the composition root): log store and hub,
 * orchestrator, effects, the in-process step source, the embedded worker and the lease sweeper.
 */
import { EventEmitter } from 'node:events'
import { hostname } from 'node:os'
import type { Config } from './config/config-schema.ts'
import type { Database } from './db/create-db.ts'
import { listen, notify, READY_CHANNEL } from './db/notifications.ts'
import type { LogCluster } from './cluster/log-cluster.ts'
import type { EventHub } from './events/event-hub.ts'
import { createEventParts } from './events/event-parts.ts'
import type { EventStreams } from './events/event-stream.ts'
import { startEmbeddedWorker } from './dispatch/embedded-worker.ts'
import { startLeaderLoops, type LeaderLoop } from './leader-loops.ts'
import type { RuntimeTuning } from './runtime-tuning.ts'
import { renderTemplate } from './templates/render.ts'
import { Scheduler } from './scheduler/scheduler.ts'
import { EffectsRunner } from './jobs/effects-runner.ts'
import { JobSecrets } from './jobs/job-secrets.ts'
import { LeaseSweeper } from './dispatch/lease-sweeper.ts'
import { LocalStepSource } from './dispatch/local-step-source.ts'
import { Orchestrator } from './jobs/orchestrator.ts'
import { RemoteStepCalls } from './workers/remote-step-calls.ts'
import { WorkerLifecycle } from './workers/worker-lifecycle.ts'
import type { LogHub } from './logs/log-hub.ts'
import { createLogParts } from './log-parts.ts'
import { findJobById } from './db/repositories/job.repository.ts'
import { createLogSocketServer, type LogSocketServer } from './logs/log-socket.ts'
import type { LogStore } from './logs/log-store.ts'
import { monotonicMs, type Clock } from './shared/clock.ts'
import { coerceError } from './shared/errors.ts'
import type { DomainEvent } from './shared/events.ts'
import { newWorkerId } from './shared/ids.ts'
import type { Logger } from './shared/logger.ts'
import type { Releasers } from './shared/releasers.ts'
import { VERSION } from './shared/version.ts'
import { WakeSignal } from './shared/wake-signal.ts'
import { stepBaseEnv } from './runner/base-env.ts'
import type { ProcessLauncher } from './runner/executors/process-launcher.ts'
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
  /** Each job's secret values, masked in logs, stored results and API responses. */
  readonly jobSecrets: JobSecrets
  /** Remote workers: registration, heartbeats, drains, revocation (API.md §7.2, §11). */
  readonly workerLifecycle: WorkerLifecycle
  /** Remote workers' claims and step calls (API.md §11.3–§11.5). */
  readonly remoteSteps: RemoteStepCalls
  /** One reader of job_events for this replica's SSE clients (GET /api/events). */
  readonly eventHub: EventHub
  readonly eventStreams: EventStreams
  /** Logs across PostgreSQL replicas; null on the embedded database. */
  readonly cluster: LogCluster | null
  /** One retention pass over job_events (the leader runs them); `now` steers time in tests. */
  pruneEvents(now?: Date): Promise<number>
  /** Starts the embedded worker, sweeper and listeners. */
  start(): Promise<void>
}

export { VERSION, stepBaseEnv }

export function createEngineRuntime(d: {
  config: Config
  database: Database
  registry: WorkspaceRegistry
  clock: Clock
  logger: Logger
  env: Readonly<Record<string, string | undefined>>
  releasers: Releasers
  replicaId: string
  /** Replaces the configured launcher (benchmarks only; see AppOptions). */
  launcherOverride?: (configured: ProcessLauncher) => ProcessLauncher
  tuning?: RuntimeTuning
}): EngineRuntime {
  const { config, database, registry, clock, logger, releasers } = d
  const db = database.db
  const workspaceFor = (name: string, revision: string) =>
    registry.getVersion(name, revision) ?? registry.getEntry(name).current ?? undefined
  const jobSecrets = new JobSecrets(workspaceFor)
  const { hub, logStore, jobLogs, logCluster } = createLogParts({
    config,
    database,
    clock,
    logger,
    releasers,
    replicaId: d.replicaId,
    tuning: d.tuning,
    jobSecrets,
  })
  const wake = new WakeSignal()
  const events = new EventEmitter<{ events: [ReadonlyArray<DomainEvent>] }>()
  const isPg = database.kind === 'postgres'
  // Other replicas' events are found by polling while this replica has SSE subscribers.
  const eventParts = createEventParts({
    db,
    logger,
    clock,
    pingMs: d.tuning?.ssePingMs,
    pollMs: isPg ? 200 : 5000,
  })
  const { hub: eventHub, streams: eventStreams } = eventParts
  releasers.add('event streams', () => eventParts.close())
  // Events committed here wake the hub at once; other replicas' are found by its poll.
  events.on('events', () => eventHub.wake())
  let source: LocalStepSource | null = null
  const effects = new EffectsRunner({
    jobLogs,
    wake,
    clock,
    logger,
    emit: (evs) => events.emit('events', evs),
    notifyReady: () => {
      // Alone on the database (the replica heartbeat counts live replicas every 3 s), the local
      // signal has already woken every waiting claimer: a NOTIFY would only cost two commits.
      // A replica that starts meanwhile relies on its safety poll until the next count.
      if (isPg && (logCluster?.heartbeat.liveReplicas ?? 2) > 1)
        notify(db, READY_CHANNEL, d.replicaId).catch((err: unknown) =>
          logger.warn({ err: coerceError(err) }, 'NOTIFY failed'),
        )
    },
    stopJob: (jobId, reason) => source?.stopJob(jobId, reason),
    noteLogOwners: (owners) => logCluster?.noteOwners(owners),
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
    secrets: jobSecrets,
  })
  const embeddedWorkerId = newWorkerId()
  const workerName = `embedded@${hostname()}`
  source = new LocalStepSource({
    db: database.relaxed,
    orchestrator,
    logs: logStore,
    jobLogs,
    wake,
    workspaceFor,
    onCommitted: (fx) => effects.run(fx),
    worker: { id: embeddedWorkerId, name: workerName, tags: [], capabilities: ['script'] },
    leaseTtlSecs: config.workers.lease_ttl_secs,
    safetyPollMs: 2000,
    logger: logger.child({ component: 'worker' }),
  })
  const sweeper = new LeaseSweeper({
    db,
    orchestrator,
    logger: logger.child({ component: 'sweeper' }),
    intervalMs: 1000,
    lostAfterSecs: config.workers.lost_after_secs,
    onCommitted: (fx) => effects.run(fx),
  })
  const workerLifecycle = new WorkerLifecycle({
    db,
    orchestrator,
    onCommitted: (fx) => effects.run(fx),
    logger: logger.child({ component: 'workers' }),
    workerToken: config.worker_token,
    leaseTtlSecs: config.workers.lease_ttl_secs,
  })
  const remoteSteps = new RemoteStepCalls({
    db,
    orchestrator,
    source,
    wake,
    leaseTtlSecs: config.workers.lease_ttl_secs,
    safetyPollMs: 2000,
    logger: logger.child({ component: 'worker-protocol' }),
    monotonicMs,
  })
  releasers.add('worker claims', () => remoteSteps.close())
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

  /** The leader-only loops: the scheduler (when enabled), event retention, log takeover. */
  const makeLeaderLoops = (): LeaderLoop[] => [
    ...(config.scheduler.enabled
      ? [
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
          }),
        ]
      : []),
    eventParts.newRetention(),
    ...(logCluster ? [logCluster.createTakeover()] : []),
  ]

  async function start(): Promise<void> {
    if (isPg && database.pgConfig) {
      const listener = listen(
        database.pgConfig,
        [READY_CHANNEL, ...(logCluster?.channels ?? [])],
        (channel, payload) => {
          // Other replicas' wake-ups only: this process already woke its own worker locally.
          if (channel === READY_CHANNEL) {
            if (payload !== d.replicaId) wake.notify()
          } else logCluster?.onNotify(channel, payload)
        },
        logger,
      )
      releasers.add('notification listener', () => listener.close())
    }
    if (logCluster) {
      // Before any step runs here: the replica row is what keeps this replica's logs its own.
      await logCluster.start()
      releasers.add('log cluster', () => logCluster.stop())
    }
    sweeper.start()
    releasers.add('lease sweeper', () => sweeper.stop())
    startLeaderLoops({ database, logger, releasers, makeLoops: makeLeaderLoops })
    if (!config.embedded_worker.enabled) return
    await startEmbeddedWorker({
      config,
      database,
      workerId: embeddedWorkerId,
      workerName,
      source: localSource,
      sweeper,
      env: d.env,
      logger,
      releasers,
      launcherOverride: d.launcherOverride,
    })
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
    jobSecrets,
    workerLifecycle,
    remoteSteps,
    eventHub,
    eventStreams,
    cluster: logCluster,
    pruneEvents: (now) => eventParts.newRetention().runOnce(now),
    start,
  }
}
