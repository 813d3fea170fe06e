/**
 * Leader loop: when a log owner's replica row lapses, the leader takes its open logs. The new
 * owner's store resumes each file from its last seq (the tail scan on open), the forwards waiting
 * for the old owner are drained here, and a job that ended without its log being closed gets its
 * end now. The update is conditional on the owner being dead, so it never takes a log twice.
 */
import type { Kysely } from 'kysely'
import { findJobById } from '../db/repositories/job.repository.ts'
import { takeOverDeadOwnersLogs } from '../db/repositories/log-forward.repository.ts'
import type { DB } from '../db/schema.ts'
import { coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import { isTerminalJobStatus, type JobStatus } from '../shared/statuses.ts'
import type { LogOwners } from './log-owners.ts'

export interface LogTakeoverDeps {
  readonly db: Kysely<DB>
  readonly replicaId: string
  readonly owners: LogOwners
  /** Drains forwards now (and resolves when done). */
  readonly drainNow: () => Promise<void>
  readonly endLocal: (jobId: string, status: string, line: string) => Promise<void>
  readonly logger: Logger
  readonly lapseSecs: number
  readonly intervalMs: number
}

export class LogTakeover {
  readonly #d: LogTakeoverDeps
  #timer: NodeJS.Timeout | null = null
  #pass: Promise<unknown> | null = null
  #stopping: Promise<void> | null = null

  constructor(deps: LogTakeoverDeps) {
    this.#d = deps
  }

  start(): void {
    if (this.#timer || this.#stopping) return
    const tick = () => {
      this.#pass ??= this.runOnce().finally(() => (this.#pass = null))
    }
    tick()
    this.#timer = setInterval(tick, this.#d.intervalMs)
    this.#timer.unref()
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      if (this.#timer) clearInterval(this.#timer)
      this.#timer = null
      await this.#pass
    })()
    return this.#stopping
  }

  /** One pass; returns how many logs it took. */
  async runOnce(): Promise<number> {
    const d = this.#d
    try {
      const taken = await takeOverDeadOwnersLogs(d.db, d.replicaId, d.lapseSecs)
      if (taken.length === 0) return 0
      for (const t of taken) d.owners.set(t.jobId, d.replicaId)
      d.logger.warn({ jobs: taken.length }, 'took over the logs of a replica that went away')
      await d.drainNow()
      for (const t of taken.filter((x) => isTerminalJobStatus(x.status as JobStatus))) {
        const job = await findJobById(d.db, t.jobId)
        if (job && job.logLastSeq === null)
          await d.endLocal(t.jobId, job.status, `job ${job.status}`)
      }
      return taken.length
    } catch (e) {
      d.logger.warn({ err: coerceError(e) }, 'log takeover pass failed')
      return 0
    }
  }
}
