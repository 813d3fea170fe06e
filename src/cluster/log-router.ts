/**
 * The log store every writer of a PostgreSQL replica uses (ARCHITECTURE.md §10, "Logs across
 * replicas"). A job's log has one writer, the replica in jobs.log_owner: for its own jobs this
 * replica appends to the file as a single-replica server does (the owner check is an in-memory
 * comparison), and for any other job it masks the lines with the secrets it knows and queues them
 * in log_forward for the owner, waking it with NOTIFY. A job's forwards leave this replica one at
 * a time, so they commit in order. A forwarded append has no seq yet: it answers `lastSeq: 0`.
 */
import { KeyedTurns } from '../shared/keyed-turns.ts'
import type { Kysely } from 'kysely'
import { insertLogForward, type ForwardedLine } from '../db/repositories/log-forward.repository.ts'
import type { DB } from '../db/schema.ts'
import type { NewLogLine } from '../logs/log-record.ts'
import type { AppendResult, LogStore, ReadOptions, ReadResult } from '../logs/log-store.ts'
import { LogSecrets, type JobLogScrubber } from '../logs/scrubber.ts'
import type { LogOwners } from './log-owners.ts'

export interface LogRouterDeps {
  /** The local JSONL store: written only for the jobs this replica owns. */
  readonly inner: LogStore
  readonly db: Kysely<DB>
  readonly replicaId: string
  readonly owners: LogOwners
}

const FORWARDED: AppendResult = { firstSeq: 1, lastSeq: 0, records: [] }

export class LogRouter implements LogStore {
  readonly #d: LogRouterDeps
  /** Secrets registered here (claims), to mask lines before they leave this replica. */
  readonly #secrets = new LogSecrets()
  /** Per job, the forward in flight: the next one waits for it. */
  readonly #queues = new KeyedTurns()

  constructor(deps: LogRouterDeps) {
    this.#d = deps
  }

  /** True when this replica writes the job's log (unknown owner: this one, as on one replica). */
  async ownsLog(jobId: string): Promise<boolean> {
    const owner = await this.#d.owners.resolve(jobId)
    return owner === undefined || owner === null || owner === this.#d.replicaId
  }

  async append(jobId: string, lines: ReadonlyArray<NewLogLine>): Promise<AppendResult> {
    if (this.#d.owners.cached(jobId) === this.#d.replicaId || (await this.ownsLog(jobId)))
      return this.#d.inner.append(jobId, lines)
    await this.forward(jobId, lines, null)
    return FORWARDED
  }

  /**
   * Queues lines (or, with `endStatus`, the final line) for the job's owner. Lines are masked
   * with the secrets registered here; unmasked ones keep `continues` for the owner's scrubber.
   */
  forward(
    jobId: string,
    lines: ReadonlyArray<NewLogLine>,
    endStatus: string | null,
  ): Promise<void> {
    const scrubber = this.scrubberOf(jobId)
    const masked = scrubber ? scrubber.scrubLines(lines) : lines
    const rows: ForwardedLine[] = masked.map((l) => ({
      ts: l.ts,
      stream: l.stream,
      step: l.step,
      line: l.line,
      ...(l.continues ? { continues: true } : {}),
    }))
    if (rows.length === 0 && endStatus === null) return Promise.resolve()
    return this.#queues.run(jobId, async () => {
      const owner = await this.#d.owners.resolve(jobId)
      await insertLogForward(this.#d.db, {
        jobId,
        lines: rows,
        endStatus,
        owner: owner ?? '',
      })
    })
  }

  read(jobId: string, opts?: ReadOptions): Promise<ReadResult> {
    return this.#d.inner.read(jobId, opts)
  }

  lastSeq(jobId: string): Promise<number> {
    return this.#d.inner.lastSeq(jobId)
  }

  addSecrets(jobId: string, values: ReadonlyArray<string>): void {
    this.#d.inner.addSecrets(jobId, values)
    this.#secrets.add(jobId, values)
  }

  /** The scrubber this replica masks the job's forwards with, while it keeps one. */
  scrubberOf(jobId: string): JobLogScrubber | undefined {
    return this.#secrets.get(jobId)
  }

  /**
   * The job's log has ended: forgets its secrets and its cached owner, which only its lines
   * needed. Left to the caches' bounds, they stayed for the last 10 000 and 100 000 jobs: about
   * 20 MiB of heap after 100k executions (B14, docs/performance.md).
   */
  ended(jobId: string): void {
    this.#secrets.forget(jobId)
    this.#d.owners.forget(jobId)
  }

  async close(jobId: string): Promise<void> {
    await this.#queues.idle(jobId)
    this.#secrets.forget(jobId)
    await this.#d.inner.close(jobId)
  }

  async closeAll(): Promise<void> {
    await this.#queues.allIdle()
    await this.#d.inner.closeAll()
  }
}
