/**
 * Ends attempts whose worker went silent (lease expired, or the worker itself was lost) or did
 * not stop after a timeout, and fails jobs past their timeout. Every write is fenced (lease token,
 * job lock, conditional status updates), so several sweepers running at once are safe; the loop
 * never throws.
 */
import type { Kysely } from 'kysely'
import { findExpiredLeases } from '../db/queries/find-expired-leases.ts'
import {
  findDueServerSteps,
  findEndedChildren,
  findOverdueApprovals,
} from '../db/queries/find-server-step-work.ts'
import { findTimedOutJobs } from '../db/queries/find-timed-out-jobs.ts'
import { markLostWorkers } from '../db/queries/mark-lost-workers.ts'
import { insertEvents } from '../db/repositories/event.repository.ts'
import { listLeasesOfWorker } from '../db/repositories/step-run.repository.ts'
import { findWorkerNames } from '../db/repositories/worker.repository.ts'
import type { DB } from '../db/schema.ts'
import { withTransaction } from '../db/transaction.ts'
import { coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import { AfterCommit } from '../flow/after-commit.ts'
import { loseLease, lostWorkerMessage } from './lose-lease.ts'
import type { Orchestrator } from '../jobs/orchestrator.ts'

export class LeaseSweeper {
  readonly #db: Kysely<DB>
  readonly #orchestrator: Orchestrator
  readonly #logger: Logger
  readonly #intervalMs: number
  readonly #lostAfterSecs: number
  readonly #onCommitted: (fx: AfterCommit) => void
  #timer: NodeJS.Timeout | null = null
  #running: Promise<void> | null = null
  #stopped = false

  constructor(d: {
    db: Kysely<DB>
    orchestrator: Orchestrator
    logger: Logger
    intervalMs: number
    /** A remote worker with no heartbeat for this long is `lost` (API.md §11.6). */
    lostAfterSecs: number
    onCommitted: (fx: AfterCommit) => void
  }) {
    this.#db = d.db
    this.#orchestrator = d.orchestrator
    this.#logger = d.logger
    this.#intervalMs = d.intervalMs
    this.#lostAfterSecs = d.lostAfterSecs
    this.#onCommitted = d.onCommitted
  }

  start(): void {
    if (this.#timer || this.#stopped) return
    this.#timer = setInterval(() => {
      this.#running ??= this.sweepOnce()
        .then(() => undefined)
        .finally(() => (this.#running = null))
    }, this.#intervalMs)
  }

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    await this.#running
  }

  /** One pass; returns how many attempts and jobs it ended. */
  async sweepOnce(): Promise<number> {
    let ended = 0
    try {
      ended += await this.#sweepLostWorkers()
      const expired = await findExpiredLeases(this.#db)
      const names = await findWorkerNames(
        this.#db,
        expired.map((e) => e.workerId).filter((w): w is string => w !== null),
      )
      for (const e of expired) {
        const who = names.get(e.workerId ?? '') ?? e.workerId ?? 'unknown'
        const errorMessage =
          e.reason === 'overdue'
            ? `step did not stop after its timeout; ${lostWorkerMessage(who, 'overdue')}`
            : lostWorkerMessage(who, 'lease expired')
        if (await loseLease(this.#orchestrator, e, errorMessage)) ended++
      }
      for (const jobId of await findTimedOutJobs(this.#db)) {
        await this.#orchestrator.timeoutJob(jobId)
        ended++
      }
      ended += await this.#sweepServerSteps()
    } catch (e) {
      this.#logger.warn({ err: coerceError(e) }, 'lease sweep failed; retrying next round')
    }
    return ended
  }

  /** Approvals past their timeout, children whose end went unnoticed, retries now due. */
  async #sweepServerSteps(): Promise<number> {
    let moved = 0
    for (const a of await findOverdueApprovals(this.#db)) {
      await this.#orchestrator.timeoutApproval(a.jobId, a.stepId)
      moved++
    }
    for (const c of await findEndedChildren(this.#db)) {
      await this.#orchestrator.childEnded(c.parentJobId, c.childJobId)
      moved++
    }
    for (const jobId of await findDueServerSteps(this.#db)) {
      await this.#orchestrator.startDueSteps(jobId)
      moved++
    }
    return moved
  }

  /** Remote workers silent for lostAfterSecs become `lost`, and their leases are lost at once. */
  async #sweepLostWorkers(): Promise<number> {
    const fx = new AfterCommit()
    const lost = await withTransaction(this.#db, async (trx) => {
      const workers = await markLostWorkers(trx, this.#lostAfterSecs)
      for (const w of workers)
        fx.event('worker.changed', { worker_id: w.id, name: w.name, status: 'lost' })
      await insertEvents(trx, fx.events)
      return workers
    })
    this.#onCommitted(fx)
    let ended = 0
    const reason = `no heartbeat for ${this.#lostAfterSecs}s`
    for (const w of lost) {
      this.#logger.warn({ workerId: w.id, worker: w.name }, `worker lost (${reason})`)
      for (const lease of await listLeasesOfWorker(this.#db, w.id)) {
        if (await loseLease(this.#orchestrator, lease, lostWorkerMessage(w.name, reason))) ended++
      }
    }
    return ended
  }
}
