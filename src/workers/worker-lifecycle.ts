/**
 * Remote workers from registration to revocation (API.md §7.2, §7.3, §11.1, §11.2, §11.6):
 * enrollment, secret authentication, heartbeats (lease extension, stop requests, restarts),
 * drains and revocation. A worker's lost leases go through the orchestrator like any failed
 * attempt (lose-lease.ts).
 */
import type { Kysely } from 'kysely'
import { extendLeases } from '../db/queries/extend-leases.ts'
import { recordHeartbeat } from '../db/queries/record-heartbeat.ts'
import { consumeEnrollmentToken } from '../db/repositories/enrollment-token.repository.ts'
import { insertEvents } from '../db/repositories/event.repository.ts'
import { listLeasesOfWorker } from '../db/repositories/step-run.repository.ts'
import {
  clearWorkerDrain,
  findWorkerById,
  findWorkerBySecretHash,
  insertRemoteWorker,
  listRecentStepsOfWorker,
  listWorkers,
  revokeWorker,
  setWorkerDrain,
} from '../db/repositories/worker.repository.ts'
import type { DB } from '../db/schema.ts'
import { withTransaction } from '../db/transaction.ts'
import { ConflictError, NotFoundError, UnauthorizedError } from '../shared/errors.ts'
import { newSecret, newWorkerId } from '../shared/ids.ts'
import type { Logger } from '../shared/logger.ts'
import type { WorkerStatus } from '../shared/statuses.ts'
import { AfterCommit } from '../flow/after-commit.ts'
import { loseLease, lostWorkerMessage } from '../dispatch/lose-lease.ts'
import type { Orchestrator } from '../jobs/orchestrator.ts'
import { monotonicMs } from '../shared/clock.ts'
import { hashSecret, secretsEqual, WORKER_SECRET_PREFIX } from './worker-credentials.ts'
import type { WorkerListFilter, WorkerRecord, WorkerStepRecord } from './worker-record.ts'

export interface WorkerLifecycleDeps {
  readonly db: Kysely<DB>
  readonly orchestrator: Orchestrator
  readonly onCommitted: (fx: AfterCommit) => void
  readonly logger: Logger
  /** The multi-use enrollment token of the server config (`worker_token`), if any. */
  readonly workerToken: string | undefined
  readonly leaseTtlSecs: number
  /** Ages the remembered worker secrets (tests steer it); default: the monotonic clock. */
  readonly nowMs?: () => number
}

export interface Registration {
  readonly name: string
  readonly hostname: string | null
  readonly version: string | null
  readonly capabilities: ReadonlyArray<string>
  readonly tags: ReadonlyArray<string>
  readonly maxConcurrency: number
}

export interface HeartbeatResult {
  readonly status: WorkerStatus
  readonly leases: Array<{ jobId: string; stepName: string; expiresAt: Date }>
  readonly stop: Array<{ jobId: string; stepName: string; reason: string }>
}

const key = (jobId: string, stepName: string) => `${jobId}\u0000${stepName}`

/** How long an authenticated worker secret is remembered (see authenticate). */
const AUTH_CACHE_MS = 1000

export class WorkerLifecycle {
  readonly #d: WorkerLifecycleDeps
  readonly #authCache = new Map<string, { worker: WorkerRecord; at: number }>()

  constructor(deps: WorkerLifecycleDeps) {
    this.#d = deps
  }

  /** Checks the enrollment token (config, then issued tokens) and registers a new worker. */
  async register(
    enrollmentToken: string,
    reg: Registration,
  ): Promise<{ workerId: string; workerSecret: string }> {
    const d = this.#d
    const fromConfig = d.workerToken !== undefined && secretsEqual(enrollmentToken, d.workerToken)
    if (!fromConfig && !(await consumeEnrollmentToken(d.db, hashSecret(enrollmentToken))))
      throw new UnauthorizedError('invalid, expired or used-up enrollment token')
    const workerId = newWorkerId()
    const workerSecret = newSecret(WORKER_SECRET_PREFIX, 32)
    await this.#changed(workerId, reg.name, 'active', (trx) =>
      insertRemoteWorker(trx, { id: workerId, ...reg, secretHash: hashSecret(workerSecret) }),
    )
    d.logger.info({ workerId, worker: reg.name, hostname: reg.hostname }, 'worker registered')
    return { workerId, workerSecret }
  }

  /**
   * The worker a secret belongs to; 401 when unknown or revoked. A worker makes several calls per
   * step, so a found worker is remembered for AUTH_CACHE_MS; any change made here (drain, revoke,
   * deregister, …) forgets it at once, one on another replica applies here within that time.
   * Claims read the worker row again (status, running steps).
   */
  async authenticate(secret: string): Promise<WorkerRecord> {
    const hash = hashSecret(secret)
    const now = (this.#d.nowMs ?? monotonicMs)()
    const cached = this.#authCache.get(hash)
    if (cached && now - cached.at < AUTH_CACHE_MS) return cached.worker
    const w = await findWorkerBySecretHash(this.#d.db, hash)
    if (!w) throw new UnauthorizedError('unknown worker secret; register again')
    if (w.status !== 'revoked') {
      if (this.#authCache.size > 1000) this.#authCache.clear()
      this.#authCache.set(hash, { worker: w, at: now })
    }
    if (w.status === 'revoked')
      throw new UnauthorizedError(`worker ${w.name} was revoked or deregistered; register again`)
    return w
  }

  /**
   * Records the heartbeat, extends the listed leases and names the steps to stop. A new boot id
   * means the worker restarted: leases it held at its previous heartbeat and no longer lists are
   * lost at once (newer claims may be this boot's, and expire by themselves if not).
   */
  async heartbeat(
    worker: WorkerRecord,
    bootId: string,
    running: ReadonlyArray<{ jobId: string; stepName: string }>,
  ): Promise<HeartbeatResult> {
    const d = this.#d
    const fx = new AfterCommit()
    const hb = await withTransaction(d.db, async (trx) => {
      const hb = await recordHeartbeat(trx, worker.id, bootId)
      if (hb && hb.previousStatus === 'lost' && hb.status !== 'lost') {
        fx.event('worker.changed', { worker_id: worker.id, name: worker.name, status: hb.status })
        await insertEvents(trx, fx.events)
      }
      return hb
    })
    if (!hb) throw new UnauthorizedError(`worker ${worker.name} was revoked; register again`)
    d.onCommitted(fx)
    if (hb.previousStatus === 'lost' && hb.status !== 'lost')
      d.logger.info({ workerId: worker.id, worker: worker.name }, 'lost worker is back')
    if (hb.previousBootId !== null && hb.previousBootId !== bootId) {
      const listed = new Set(running.map((r) => key(r.jobId, r.stepName)))
      const held = await listLeasesOfWorker(d.db, worker.id, hb.previousHeartbeat ?? undefined)
      const stale = held.filter((l) => !listed.has(key(l.jobId, l.stepName)))
      await this.#loseAll(worker.name, stale, 'restarted')
    }
    const extended = await extendLeases(
      d.db,
      worker.id,
      running.map((r) => ({ ...r, leaseToken: null })),
      d.leaseTtlSecs,
    )
    const byKey = new Map(extended.map((e) => [key(e.jobId, e.stepName), e]))
    const stop: HeartbeatResult['stop'] = []
    for (const r of running) {
      const e = byKey.get(key(r.jobId, r.stepName))
      if (!e) stop.push({ ...r, reason: 'lease_lost' })
      else if (e.stopReason !== null) stop.push({ ...r, reason: e.stopReason })
    }
    return {
      status: hb.status,
      leases: extended.map((e) => ({
        jobId: e.jobId,
        stepName: e.stepName,
        expiresAt: e.leaseExpiresAt,
      })),
      stop,
    }
  }

  /** The worker drains itself (`/worker/drain`). */
  async drainSelf(worker: WorkerRecord, reason: string | null): Promise<void> {
    await this.#drain(worker, reason, 'worker')
  }

  /** The worker undrains itself; 409 when an operator drained it. */
  async undrainSelf(worker: WorkerRecord): Promise<void> {
    if (worker.drainedBy === 'operator')
      throw new ConflictError(
        `worker ${worker.name} was drained by an operator; only POST /api/workers/{id}/undrain clears it`,
      )
    await this.#undrain(worker)
  }

  /** The worker leaves (`/worker/deregister`): revoked, its leases lost at once. */
  async deregister(worker: WorkerRecord): Promise<void> {
    await this.#revoke(worker, 'deregistered')
  }

  async list(f: WorkerListFilter): Promise<{ workers: WorkerRecord[]; total: number | null }> {
    return listWorkers(this.#d.db, f)
  }

  async get(id: string): Promise<{ worker: WorkerRecord; recent: WorkerStepRecord[] }> {
    const worker = await this.#find(id)
    return { worker, recent: await listRecentStepsOfWorker(this.#d.db, id) }
  }

  /** Operator drain (`POST /api/workers/{id}/drain`): claims get 204, running leases go on. */
  async operatorDrain(id: string, reason: string | null): Promise<WorkerRecord> {
    const w = this.#operable(await this.#find(id))
    await this.#drain(w, reason, 'operator')
    return this.#find(id)
  }

  async operatorUndrain(id: string): Promise<WorkerRecord> {
    const w = this.#operable(await this.#find(id))
    await this.#undrain(w)
    return this.#find(id)
  }

  /** Operator revoke (`DELETE /api/workers/{id}`); repeating it changes nothing. */
  async operatorRevoke(id: string): Promise<WorkerRecord> {
    const w = await this.#find(id)
    if (w.kind === 'embedded') this.#operable(w)
    if (w.status !== 'revoked') await this.#revoke(w, 'revoked')
    return this.#find(id)
  }

  async #find(id: string): Promise<WorkerRecord> {
    const w = await findWorkerById(this.#d.db, id)
    if (!w) throw new NotFoundError(`worker '${id}' not found`)
    return w
  }

  #operable(w: WorkerRecord): WorkerRecord {
    if (w.kind === 'embedded')
      throw new ConflictError(
        `worker ${w.name} is the server's embedded worker; set embedded_worker.enabled in the server config instead`,
      )
    if (w.status === 'revoked') throw new ConflictError(`worker ${w.name} is revoked`)
    return w
  }

  async #drain(w: WorkerRecord, reason: string | null, by: 'operator' | 'worker'): Promise<void> {
    await this.#changed(w.id, w.name, w.status === 'lost' ? 'lost' : 'draining', async (trx) => {
      if (!(await setWorkerDrain(trx, w.id, { reason, by })))
        throw new ConflictError(`worker ${w.name} is revoked`)
    })
  }

  async #undrain(w: WorkerRecord): Promise<void> {
    await this.#changed(
      w.id,
      w.name,
      w.status === 'draining' ? 'active' : w.status,
      async (trx) => {
        if (!(await clearWorkerDrain(trx, w.id)))
          throw new ConflictError(`worker ${w.name} is revoked`)
      },
    )
  }

  async #revoke(w: WorkerRecord, reason: 'revoked' | 'deregistered'): Promise<void> {
    await this.#changed(w.id, w.name, 'revoked', async (trx) => {
      await revokeWorker(trx, w.id)
    })
    this.#d.logger.info({ workerId: w.id, worker: w.name }, `worker ${reason}`)
    await this.#loseAll(w.name, await listLeasesOfWorker(this.#d.db, w.id), reason)
  }

  async #loseAll(
    name: string,
    leases: ReadonlyArray<{ stepId: string; jobId: string; leaseToken: string | null }>,
    reason: string,
  ): Promise<void> {
    for (const l of leases)
      await loseLease(this.#d.orchestrator, l, lostWorkerMessage(name, reason))
  }

  /** Runs a worker row change with its `worker.changed` event in one transaction. */
  async #changed(
    id: string,
    name: string,
    status: WorkerStatus,
    change: (trx: Kysely<DB>) => Promise<void>,
  ): Promise<void> {
    const fx = new AfterCommit()
    fx.event('worker.changed', { worker_id: id, name, status })
    await withTransaction(this.#d.db, async (trx) => {
      await change(trx)
      await insertEvents(trx, fx.events)
    })
    // Whatever changed, the remembered record of this worker is stale now.
    for (const [hash, c] of this.#authCache) if (c.worker.id === id) this.#authCache.delete(hash)
    this.#d.onCommitted(fx)
  }
}
