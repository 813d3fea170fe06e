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
import { Periodic } from '../shared/periodic.ts'

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
  readonly #loop: Periodic

  constructor(deps: LogTakeoverDeps) {
    this.#d = deps
    this.#loop = new Periodic(() => this.runOnce(), deps.intervalMs)
  }

  start(): void {
    this.#loop.start()
  }

  stop(): Promise<void> {
    return this.#loop.stop()
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
