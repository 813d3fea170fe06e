/**
 * The reader's side of logs across replicas: when this replica has sockets on a job whose log
 * another replica writes, it asks the owner for `weir_log` notices and, on each, reads the shared
 * file past the last seq it published and publishes those lines in its own hub, so its sockets
 * work exactly as for a local log. The end of the log comes with a notice or, as a safety net, from
 * the job row (log_last_seq), checked every `checkMs` for all followed jobs in one query; that
 * check also notices a log that became this replica's own (takeover) and stops following it.
 *
 * Per job one catch-up runs at a time (a dirty flag, no recursion). Published records are in seq
 * order; a socket that sees a gap re-reads the file itself, so a missed notice only costs latency.
 */
import type { JobLogState } from '../db/repositories/log-forward.repository.ts'
import { coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import type { LogEndInfo, LogHub } from '../logs/log-hub.ts'
import type { LogRecord } from '../logs/log-record.ts'
import type { ReadResult } from '../logs/log-store.ts'
import type { LogNotice } from './log-notices.ts'

export interface LogFollowerDeps {
  readonly hub: Pick<LogHub, 'publish' | 'publishEnd'>
  /** Reads the shared file (never the local writer's state). */
  readonly read: (jobId: string, afterSeq: number) => Promise<ReadResult>
  readonly lastSeq: (jobId: string) => Promise<number>
  /** The job's owner: cached, else looked up; undefined for an unknown job. */
  readonly ownerOf: (jobId: string) => Promise<string | null | undefined>
  readonly states: (jobIds: ReadonlyArray<string>) => Promise<ReadonlyArray<JobLogState>>
  /** Sends `weir_log_interest` for these jobs (one statement). */
  readonly announce: (jobIds: ReadonlyArray<string>) => Promise<void>
  readonly replicaId: string
  readonly logger: Logger
  /** Job-row check and interest refresh period (default 1 000; interests every 5th check). */
  readonly checkMs?: number
}

interface Followed {
  published: number
  end: LogEndInfo | null
  ended: boolean
  dirty: boolean
  running: boolean
}

export class LogFollower {
  readonly #d: LogFollowerDeps
  readonly #followed = new Map<string, Followed>()
  /** Jobs with local sockets; followed once their owner turns out to be another replica. */
  readonly #watched = new Set<string>()
  #timer: NodeJS.Timeout | null = null
  #ticks = 0
  #checking = false
  #stopped = false

  constructor(deps: LogFollowerDeps) {
    this.#d = deps
  }

  followedCount(): number {
    return this.#followed.size
  }

  start(): void {
    if (this.#timer || this.#stopped) return
    this.#timer = setInterval(() => void this.#check(), this.#d.checkMs ?? 1000)
    this.#timer.unref()
  }

  stop(): void {
    this.#stopped = true
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    this.#followed.clear()
    this.#watched.clear()
  }

  /** The hub's subscriber count for a job changed. */
  onSubscribers(jobId: string, count: number): void {
    if (this.#stopped) return
    if (count === 0) {
      this.#watched.delete(jobId)
      this.#followed.delete(jobId)
      return
    }
    if (this.#watched.has(jobId)) return
    this.#watched.add(jobId)
    this.#maybeFollow(jobId).catch((e: unknown) =>
      this.#d.logger.warn({ err: coerceError(e), jobId }, 'could not follow a remote log'),
    )
  }

  /** A `weir_log` notice arrived. */
  onNotice(n: LogNotice): void {
    const f = this.#followed.get(n.jobId)
    if (!f) return
    if (n.endStatus !== null) f.end ??= { status: n.endStatus, lastSeq: n.seq }
    this.#catchUp(n.jobId, f)
  }

  async #maybeFollow(jobId: string): Promise<void> {
    const owner = await this.#d.ownerOf(jobId)
    if (owner === undefined || owner === null || owner === this.#d.replicaId) return
    const published = await this.#d.lastSeq(jobId)
    if (!this.#watched.has(jobId) || this.#followed.has(jobId) || this.#stopped) return
    const f: Followed = { published, end: null, ended: false, dirty: false, running: false }
    this.#followed.set(jobId, f)
    await this.#d.announce([jobId])
    this.#catchUp(jobId, f)
  }

  #catchUp(jobId: string, f: Followed): void {
    f.dirty = true
    if (f.running) return
    f.running = true
    void this.#run(jobId, f).finally(() => (f.running = false))
  }

  async #run(jobId: string, f: Followed): Promise<void> {
    while (f.dirty && this.#followed.get(jobId) === f) {
      f.dirty = false
      try {
        const { lines, lastSeq } = await this.#d.read(jobId, f.published)
        const records = toRecords(lines, f.published)
        if (records.length > 0) this.#d.hub.publish(jobId, records)
        f.published = Math.max(f.published, lastSeq)
        if (f.end && !f.ended && f.published >= f.end.lastSeq) {
          f.ended = true
          this.#d.hub.publishEnd(jobId, f.end)
        }
      } catch (e) {
        this.#d.logger.warn({ err: coerceError(e), jobId }, 'reading a remote log failed')
        return
      }
    }
  }

  /** The safety net: job rows of every followed log, in one query. */
  async #check(): Promise<void> {
    if (this.#checking || this.#followed.size === 0) return
    this.#checking = true
    try {
      const ids = [...this.#followed.keys()]
      if (++this.#ticks % 5 === 0) await this.#d.announce(ids)
      for (const s of await this.#d.states(ids)) {
        const f = this.#followed.get(s.jobId)
        if (!f) continue
        if (s.owner === this.#d.replicaId) {
          // Taken over: this replica writes it now, and its appends publish here directly.
          this.#followed.delete(s.jobId)
          continue
        }
        if (s.logLastSeq !== null) f.end ??= { status: s.status, lastSeq: s.logLastSeq }
        this.#catchUp(s.jobId, f)
      }
    } catch (e) {
      this.#d.logger.warn({ err: coerceError(e) }, 'checking remote logs failed')
    } finally {
      this.#checking = false
    }
  }
}

/** Stored lines as hub records; lines at or below `after` (already published) are skipped. */
function toRecords(lines: ReadonlyArray<string>, after: number): LogRecord[] {
  const out: LogRecord[] = []
  for (const json of lines) {
    const parsed = JSON.parse(json) as { seq?: unknown; step?: unknown }
    if (typeof parsed.seq !== 'number' || parsed.seq <= after) continue
    out.push({ seq: parsed.seq, json, step: typeof parsed.step === 'string' ? parsed.step : '' })
  }
  return out
}
