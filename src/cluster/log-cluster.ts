/**
 * Logs across PostgreSQL replicas (ARCHITECTURE.md §10), wired in one place: the owner-aware
 * store every writer uses, the owner's forward drain and remote-reader notices, this replica's
 * follower of logs others write, its heartbeat, and the leader's takeover of a dead owner's logs.
 * The embedded database has one process and needs none of it.
 */
import type { Kysely } from 'kysely'
import {
  findJobLogOwner,
  listJobLogStates,
  LOG_FORWARD_CHANNEL,
} from '../db/repositories/log-forward.repository.ts'
import { notifyMany } from '../db/notifications.ts'
import type { DB } from '../db/schema.ts'
import { endJobLog } from '../logs/job-logs.ts'
import type { Clock } from '../shared/clock.ts'
import type { Logger } from '../shared/logger.ts'
import type { LogHub } from '../logs/log-hub.ts'
import type { LogStore } from '../logs/log-store.ts'
import { LogFollower } from './log-follower.ts'
import { LogForwardDrain } from './log-forward-drain.ts'
import { LogInterest } from './log-interest.ts'
import { LOG_CHANNEL, LOG_INTEREST_CHANNEL, parseLogNotice } from './log-notices.ts'
import { LogOwners } from './log-owners.ts'
import { LogRouter } from './log-router.ts'
import { LogTakeover } from './log-takeover.ts'
import { ReplicaHeartbeat } from './replica-heartbeat.ts'

export interface ClusterTuning {
  /** Replica heartbeat period (default 3 000 ms). */
  readonly heartbeatMs?: number
  /** A replica unseen this long is dead and its logs are taken over (default 10 s). */
  readonly lapseSecs?: number
  /** How often the leader looks for dead owners (default 2 000 ms). */
  readonly takeoverMs?: number
  /** Remote followers' job-row check (default 1 000 ms). */
  readonly followCheckMs?: number
  /** Forward drain safety poll (default 5 000 ms). */
  readonly drainPollMs?: number
}

export interface LogClusterDeps {
  readonly db: Kysely<DB>
  /** Stores jobs.log_last_seq when a log this replica owns ends. */
  readonly recordLastSeq: (jobId: string, lastSeq: number) => Promise<void>
  readonly replicaId: string
  /** The local JSONL store. */
  readonly inner: LogStore
  readonly hub: LogHub
  readonly clock: Clock
  readonly logger: Logger
  readonly tuning?: ClusterTuning
}

export class LogCluster {
  readonly store: LogRouter
  readonly owners: LogOwners
  readonly heartbeat: ReplicaHeartbeat
  readonly drain: LogForwardDrain
  readonly follower: LogFollower
  readonly interest: LogInterest
  readonly channels = [LOG_FORWARD_CHANNEL, LOG_CHANNEL, LOG_INTEREST_CHANNEL] as const
  /** This replica's id: what jobs.log_owner holds for the logs it writes. */
  readonly replicaId: string
  readonly #d: LogClusterDeps

  constructor(d: LogClusterDeps) {
    this.#d = d
    this.replicaId = d.replicaId
    const { db, replicaId, inner, hub, logger } = d
    const t = d.tuning ?? {}
    this.owners = new LogOwners(async (jobId) => (await findJobLogOwner(db, jobId))?.owner)
    this.store = new LogRouter({ inner, db, replicaId, owners: this.owners })
    this.heartbeat = new ReplicaHeartbeat({
      db,
      replicaId,
      logger,
      intervalMs: t.heartbeatMs ?? 3000,
      lapseSecs: t.lapseSecs ?? 10,
    })
    this.drain = new LogForwardDrain({
      db,
      replicaId,
      append: (jobId, lines) => inner.append(jobId, lines),
      endLocal: (jobId, status, line) => this.#endLocal(jobId, status, line),
      logger,
      safetyPollMs: t.drainPollMs,
    })
    this.interest = new LogInterest({
      hub,
      lastSeq: (jobId) => inner.lastSeq(jobId),
      isMine: (jobId) => this.owners.cached(jobId) === replicaId,
      notify: (payloads) => notifyMany(db, LOG_CHANNEL, payloads),
      logger,
      nowMs: () => d.clock.nowMs(),
    })
    this.follower = new LogFollower({
      hub,
      read: (jobId, afterSeq) => inner.read(jobId, { afterSeq }),
      lastSeq: (jobId) => inner.lastSeq(jobId),
      ownerOf: (jobId) => this.owners.resolve(jobId),
      states: (ids) => listJobLogStates(db, ids),
      announce: (ids) => notifyMany(db, LOG_INTEREST_CHANNEL, ids),
      replicaId,
      logger,
      checkMs: t.followCheckMs,
    })
  }

  async start(): Promise<void> {
    await this.heartbeat.start()
    this.drain.start()
    this.interest.start()
    this.follower.start()
  }

  async stop(): Promise<void> {
    this.follower.stop()
    await this.interest.stop()
    await this.drain.stop()
    await this.heartbeat.stop()
  }

  /** Owners learnt from a committed transaction (jobs created or claimed here). */
  noteOwners(owners: ReadonlyMap<string, string | null>): void {
    for (const [jobId, owner] of owners) this.owners.set(jobId, owner)
  }

  /** The hub's subscriber count for a job changed. */
  onSubscribers(jobId: string, count: number): void {
    this.follower.onSubscribers(jobId, count)
  }

  onNotify(channel: string, payload: string): void {
    if (channel === LOG_FORWARD_CHANNEL) {
      if (payload === this.#d.replicaId || payload === '') this.drain.wake()
    } else if (channel === LOG_CHANNEL) {
      const notice = parseLogNotice(payload)
      if (notice) this.follower.onNotice(notice)
    } else if (channel === LOG_INTEREST_CHANNEL) {
      if (payload !== '') this.interest.onInterest(payload)
    }
  }

  /**
   * Ends a job's log: the owner writes the end (after draining forwards when other replicas may
   * have sent lines first); any other replica forwards it.
   */
  async endLog(jobId: string, status: string, line: string): Promise<void> {
    if (!(await this.store.ownsLog(jobId))) {
      const ts = this.#d.clock.now().toISOString()
      await this.store.forward(jobId, [{ ts, stream: 'stdout', step: '_server', line }], status)
      this.store.ended(jobId)
      return
    }
    if (this.heartbeat.liveReplicas > 1) await this.drain.drainNow()
    await this.#endLocal(jobId, status, line)
  }

  /** The leader's takeover loop (one per election). */
  createTakeover(): LogTakeover {
    const t = this.#d.tuning ?? {}
    return new LogTakeover({
      db: this.#d.db,
      replicaId: this.#d.replicaId,
      owners: this.owners,
      drainNow: () => this.drain.drainNow(),
      endLocal: (jobId, status, line) => this.#endLocal(jobId, status, line),
      logger: this.#d.logger,
      lapseSecs: t.lapseSecs ?? 10,
      intervalMs: t.takeoverMs ?? 2000,
    })
  }

  async #endLocal(jobId: string, status: string, line: string): Promise<void> {
    const { inner, hub, recordLastSeq, clock } = this.#d
    await endJobLog({ store: inner, hub, recordLastSeq, clock }, { jobId, status, line })
    this.store.ended(jobId)
  }
}
