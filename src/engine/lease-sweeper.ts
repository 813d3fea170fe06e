/**
 * Ends attempts whose worker went silent (lease expired) or did not stop after a timeout, and
 * fails jobs past their timeout. Every write is fenced (lease token, job lock), so several
 * sweepers running at once are safe; the loop never throws.
 */
import type { Kysely } from 'kysely'
import { findExpiredLeases } from '../db/queries/find-expired-leases.ts'
import { findTimedOutJobs } from '../db/queries/find-timed-out-jobs.ts'
import { findWorkerNames } from '../db/repositories/worker.repository.ts'
import type { DB } from '../db/schema.ts'
import { coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import type { Orchestrator } from './orchestrator.ts'

export class LeaseSweeper {
  readonly #db: Kysely<DB>
  readonly #orchestrator: Orchestrator
  readonly #logger: Logger
  readonly #intervalMs: number
  #timer: NodeJS.Timeout | null = null
  #running: Promise<void> | null = null
  #stopped = false

  constructor(d: {
    db: Kysely<DB>
    orchestrator: Orchestrator
    logger: Logger
    intervalMs: number
  }) {
    this.#db = d.db
    this.#orchestrator = d.orchestrator
    this.#logger = d.logger
    this.#intervalMs = d.intervalMs
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
      const expired = await findExpiredLeases(this.#db)
      const names = await findWorkerNames(
        this.#db,
        expired.map((e) => e.workerId).filter((w): w is string => w !== null),
      )
      for (const e of expired) {
        const who = names.get(e.workerId ?? '') ?? e.workerId ?? 'unknown'
        const errorMessage =
          e.reason === 'overdue'
            ? `step did not stop after its timeout; worker ${who} lost (overdue)`
            : `worker ${who} lost (lease expired)`
        const res = await this.#orchestrator.finishStep(e.stepId, e.jobId, e.leaseToken, {
          status: 'failed',
          exitCode: null,
          output: null,
          errorMessage,
        })
        if (res.ok) ended++
      }
      for (const jobId of await findTimedOutJobs(this.#db)) {
        await this.#orchestrator.timeoutJob(jobId)
        ended++
      }
    } catch (e) {
      this.#logger.warn({ err: coerceError(e) }, 'lease sweep failed; retrying next round')
    }
    return ended
  }
}
