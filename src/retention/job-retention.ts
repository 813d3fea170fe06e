/**
 * Leader-only retention of finished jobs and gone workers (STROEM-REFERENCE.md §4.5: Strøm's
 * `retention.job_days`, `worker_hours`, `interval_secs`). Each batch of jobs is marked, their
 * files deleted (log, artifacts), then their rows; a pass first finishes batches an earlier pass
 * left marked, so a crash at any point leaves no log file without its job and, once the next pass
 * ran, no job without its log. Batches are small and separated by a pause, so the hot path never
 * waits on them. A pass never throws: a failure is logged and the next interval tries again.
 */
import type { Kysely } from 'kysely'
import {
  countExpiredJobs,
  deletePurgedJobs,
  deleteStaleWorkers,
  listPurgingJobs,
  markExpiredJobs,
} from '../db/queries/retention.ts'
import type { DB } from '../db/schema.ts'
import type { Clock } from '../shared/clock.ts'
import { coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import { Periodic } from '../shared/periodic.ts'
import {
  describeReport,
  emptyReport,
  jobExpiries,
  workerCutoff,
  type JobExpiry,
  type RetentionReport,
  type RetentionSettings,
} from './retention-policy.ts'

/** Files jobs leave besides their rows; `remove` is idempotent and says how many jobs had some. */
export interface JobFiles {
  readonly kind: 'logFiles' | 'artifactJobs'
  remove(jobIds: ReadonlyArray<string>): Promise<number>
}

export interface JobRetentionDeps {
  readonly db: Kysely<DB>
  readonly settings: RetentionSettings
  readonly files: ReadonlyArray<JobFiles>
  readonly clock: Clock
  readonly logger: Logger
  /** Time between passes; the first runs `firstDelayMs` after start. */
  readonly intervalMs: number
  readonly firstDelayMs: number
  /** Jobs per batch (each batch: one mark, its files, one delete transaction). */
  readonly batch: number
  /** Pause between batches, so a long backlog never crowds out the hot path. */
  readonly pauseMs?: number
  /** Counts what each pass deleted (metrics). */
  readonly onDeleted?: (report: RetentionReport) => void
}

/** What a pass would delete, rule by rule (`weir prune --dry-run`). */
export interface DryRunReport {
  readonly rules: ReadonlyArray<{
    readonly rule: JobExpiry
    readonly jobs: number
    readonly steps: number
    readonly oldest: Date | null
  }>
  /** Jobs marked by a pass that did not finish: the next pass deletes them first. */
  readonly unfinished: number
  readonly workers: number
}

export class JobRetention {
  readonly #d: JobRetentionDeps
  readonly #loop: Periodic

  constructor(deps: JobRetentionDeps) {
    this.#d = deps
    this.#loop = new Periodic(() => this.runOnce(), deps.intervalMs, deps.firstDelayMs)
  }

  start(): void {
    this.#loop.start()
  }

  /** Stops the loop; a pass in progress ends after its current batch. Idempotent. */
  stop(): Promise<void> {
    return this.#loop.stop()
  }

  /** One pass now (`now` steers the cutoffs in tests); a failure is logged, never thrown. */
  async runOnce(now: Date = this.#d.clock.now()): Promise<RetentionReport> {
    const report = emptyReport()
    try {
      await this.pass(now, report)
    } catch (e) {
      this.#d.logger.warn({ err: coerceError(e) }, 'retention pass failed')
    }
    return report
  }

  /**
   * One pass, throwing what fails (`weir prune`); `report` fills as it goes, so a failed pass
   * still tells what it deleted before.
   */
  async pass(
    now: Date = this.#d.clock.now(),
    report: RetentionReport = emptyReport(),
  ): Promise<RetentionReport> {
    try {
      await this.#finishUnfinished(report)
      for (const rule of jobExpiries(this.#d.settings, now)) {
        while (!this.#loop.stopping) {
          const ids = await markExpiredJobs(this.#d.db, rule, this.#d.batch, now)
          if (ids.length === 0) break
          await this.#purge(ids, report)
          if (ids.length < this.#d.batch) break
          await this.#pause()
        }
      }
      const workers = workerCutoff(this.#d.settings, now)
      if (workers) report.workers = await deleteStaleWorkers(this.#d.db, workers)
    } finally {
      if (report.jobs > 0 || report.workers > 0) {
        this.#d.logger.info({ ...report }, `retention deleted ${describeReport(report)}`)
      }
      this.#d.onDeleted?.(report)
    }
    return report
  }

  /** What `runOnce(now)` would delete, without deleting anything. */
  async dryRun(now: Date = this.#d.clock.now()): Promise<DryRunReport> {
    const rules = []
    for (const rule of jobExpiries(this.#d.settings, now)) {
      rules.push({ rule, ...(await countExpiredJobs(this.#d.db, rule)) })
    }
    const unfinished = (await listPurgingJobs(this.#d.db, 1_000_000)).length
    const cutoff = workerCutoff(this.#d.settings, now)
    const workers = cutoff ? await deleteStaleWorkers(this.#d.db, cutoff, true) : 0
    return { rules, unfinished, workers }
  }

  async #finishUnfinished(report: RetentionReport): Promise<void> {
    while (!this.#loop.stopping) {
      const ids = await listPurgingJobs(this.#d.db, this.#d.batch)
      if (ids.length === 0) return
      await this.#purge(ids, report)
      if (ids.length < this.#d.batch) return
    }
  }

  /** Files first, then rows: a crash in between leaves marked rows the next pass finishes. */
  async #purge(ids: ReadonlyArray<string>, report: RetentionReport): Promise<void> {
    for (const f of this.#d.files) report[f.kind] += await f.remove(ids)
    const rows = await deletePurgedJobs(this.#d.db, ids)
    report.jobs += rows.jobs
    report.steps += rows.steps
  }

  #pause(): Promise<void> {
    const ms = this.#d.pauseMs ?? 20
    return new Promise((r) => setTimeout(r, ms).unref())
  }
}
