/**
 * The owner's side of log forwarding: appends the lines other replicas queued in log_forward for
 * the logs this replica owns, in id order, through the normal single-writer store (which also
 * publishes them to this replica's hub), and carries out forwarded log ends.
 *
 * Delivery is at-least-once: rows are deleted only after their lines are appended, so a crash in
 * between appends them again on the next drain (a repeated batch, never a lost one). Deleting
 * first (DELETE … RETURNING, then append) would be at-most-once and could lose lines that were
 * acknowledged to a worker. One loop with a dirty flag runs the drains: NOTIFY, the safety poll,
 * a takeover and an end of log only set the flag.
 */
import type { Kysely } from 'kysely'
import {
  deleteForwards,
  listForwardsForOwner,
  type LogForward,
} from '../db/repositories/log-forward.repository.ts'
import type { DB } from '../db/schema.ts'
import { coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import type { NewLogLine } from '../logs/log-record.ts'

export interface LogForwardDrainDeps {
  readonly db: Kysely<DB>
  readonly replicaId: string
  /** Appends to the local store (this replica owns the log). */
  readonly append: (jobId: string, lines: ReadonlyArray<NewLogLine>) => Promise<unknown>
  /** Ends the log locally: last line, log_last_seq, end notice, close. */
  readonly endLocal: (jobId: string, status: string, line: string) => Promise<void>
  readonly logger: Logger
  /** Drains this often even without a NOTIFY (default 5 000). */
  readonly safetyPollMs?: number
  readonly pageSize?: number
}

export class LogForwardDrain {
  readonly #d: LogForwardDrainDeps
  #dirty = false
  #running: Promise<void> | null = null
  #waiters: Array<() => void> = []
  #timer: NodeJS.Timeout | null = null
  #stopped = false

  constructor(deps: LogForwardDrainDeps) {
    this.#d = deps
  }

  start(): void {
    if (this.#timer || this.#stopped) return
    this.#timer = setInterval(() => this.wake(), this.#d.safetyPollMs ?? 5000)
    this.#timer.unref()
    this.wake()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    await this.#running
    for (const w of this.#waiters.splice(0)) w()
  }

  wake(): void {
    this.#dirty = true
    if (this.#running || this.#stopped) return
    this.#running = this.#loop().finally(() => {
      this.#running = null
      if (this.#dirty && !this.#stopped) this.wake()
    })
  }

  /** Resolves after a drain that started after this call has finished (or failed). */
  drainNow(): Promise<void> {
    if (this.#stopped) return Promise.resolve()
    const done = new Promise<void>((resolve) => this.#waiters.push(resolve))
    this.wake()
    return done
  }

  async #loop(): Promise<void> {
    while (this.#dirty && !this.#stopped) {
      this.#dirty = false
      const waiters = this.#waiters.splice(0)
      try {
        await this.#drainAll()
      } catch (e) {
        this.#d.logger.warn({ err: coerceError(e) }, 'draining forwarded log lines failed')
      }
      for (const w of waiters) w()
    }
  }

  async #drainAll(): Promise<void> {
    const pageSize = this.#d.pageSize ?? 200
    for (;;) {
      const rows = await listForwardsForOwner(this.#d.db, this.#d.replicaId, pageSize)
      if (rows.length === 0) return
      const done = await this.#apply(rows)
      await deleteForwards(this.#d.db, done)
      if (done.length < rows.length || rows.length < pageSize) return
    }
  }

  /**
   * Appends the rows in id order, merging neighbours of one job into one append; returns the ids
   * handled. A job whose append fails keeps its rows (and its later ones) for the next drain.
   */
  async #apply(rows: ReadonlyArray<LogForward>): Promise<number[]> {
    const done: number[] = []
    const failed = new Set<string>()
    for (let i = 0; i < rows.length;) {
      const row = rows[i]!
      let j = i + 1
      while (
        j < rows.length &&
        rows[j]!.jobId === row.jobId &&
        row.endStatus === null &&
        rows[j]!.endStatus === null
      )
        j++
      const group = rows.slice(i, j)
      i = j
      if (failed.has(row.jobId)) continue
      try {
        if (row.endStatus !== null)
          await this.#d.endLocal(
            row.jobId,
            row.endStatus,
            row.lines[0]?.line ?? `job ${row.endStatus}`,
          )
        else
          await this.#d.append(
            row.jobId,
            group.flatMap((g) => g.lines),
          )
        done.push(...group.map((g) => g.id))
      } catch (e) {
        failed.add(row.jobId)
        this.#d.logger.warn(
          { err: coerceError(e), jobId: row.jobId },
          'appending forwarded lines failed',
        )
      }
    }
    return done
  }
}
