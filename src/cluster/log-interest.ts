/**
 * The owner's side of remote log readers: while another replica has sockets on a log this replica
 * writes (it says so with `weir_log_interest`, refreshed while it lasts), every append is followed
 * by a `weir_log '<job_id>:<seq>'` notice, coalesced to at most one per job per flush interval,
 * and the end of the log by `'<job_id>:<last_seq>:<status>'`. On a new interest the current seq is
 * sent at once, so lines written before the interest arrived are not left waiting.
 */
import { coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import type { LogHub } from '../logs/log-hub.ts'
import { formatLogNotice, type LogNotice } from './log-notices.ts'

export interface LogInterestDeps {
  readonly hub: Pick<LogHub, 'subscribe'>
  /** The local store's last seq of a log. */
  readonly lastSeq: (jobId: string) => Promise<number>
  /** True when this replica writes the job's log (in-memory check). */
  readonly isMine: (jobId: string) => boolean
  /** Sends `weir_log` notices (one statement for all). */
  readonly notify: (payloads: ReadonlyArray<string>) => Promise<void>
  readonly logger: Logger
  readonly nowMs: () => number
  /** An interest not refreshed for this long is dropped (default 15 000). */
  readonly ttlMs?: number
  /** Notices are flushed at most this often (default 20 ms). */
  readonly flushMs?: number
}

interface Interest {
  expiresAt: number
  unsubscribe: () => void
}

export class LogInterest {
  readonly #d: LogInterestDeps
  readonly #interests = new Map<string, Interest>()
  readonly #pending = new Map<string, LogNotice>()
  #flushTimer: NodeJS.Timeout | null = null
  #sweeper: NodeJS.Timeout | null = null
  #flushing: Promise<void> | null = null
  #stopped = false

  constructor(deps: LogInterestDeps) {
    this.#d = deps
  }

  start(): void {
    if (this.#sweeper || this.#stopped) return
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(1000, (this.#d.ttlMs ?? 15_000) / 3))
    this.#sweeper.unref()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#sweeper) clearInterval(this.#sweeper)
    if (this.#flushTimer) clearTimeout(this.#flushTimer)
    for (const i of this.#interests.values()) i.unsubscribe()
    this.#interests.clear()
    await this.#flushing
  }

  /** A `weir_log_interest` payload arrived. */
  onInterest(jobId: string): void {
    if (this.#stopped || !this.#d.isMine(jobId)) return
    const expiresAt = this.#d.nowMs() + (this.#d.ttlMs ?? 15_000)
    const known = this.#interests.get(jobId)
    if (known) {
      known.expiresAt = expiresAt
    } else {
      const unsubscribe = this.#d.hub.subscribe(jobId, {
        onLines: (records) => {
          const last = records[records.length - 1]
          if (last) this.#queue({ jobId, seq: last.seq, endStatus: null })
        },
        onEnd: (info) => this.#queue({ jobId, seq: info.lastSeq, endStatus: info.status }),
      })
      this.#interests.set(jobId, { expiresAt, unsubscribe })
    }
    this.#d.lastSeq(jobId).then(
      (seq) => this.#queue({ jobId, seq, endStatus: null }),
      (e: unknown) =>
        this.#d.logger.warn({ err: coerceError(e), jobId }, 'reading a log seq failed'),
    )
  }

  interestCount(): number {
    return this.#interests.size
  }

  #queue(n: LogNotice): void {
    const prev = this.#pending.get(n.jobId)
    // An end notice is never replaced by a plain one.
    if (prev && prev.endStatus !== null && n.endStatus === null) return
    if (prev && prev.seq > n.seq && n.endStatus === null) return
    this.#pending.set(n.jobId, n)
    if (this.#flushTimer || this.#stopped) return
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = null
      this.#flush()
    }, this.#d.flushMs ?? 20)
  }

  #flush(): void {
    if (this.#flushing) {
      // One NOTIFY statement at a time; what queued meanwhile goes in the next one.
      void this.#flushing.then(() => this.#queueFlush())
      return
    }
    const payloads = [...this.#pending.values()].map(formatLogNotice)
    this.#pending.clear()
    if (payloads.length === 0) return
    this.#flushing = this.#d
      .notify(payloads)
      .catch((e: unknown) => this.#d.logger.warn({ err: coerceError(e) }, 'log NOTIFY failed'))
      .finally(() => (this.#flushing = null))
  }

  #queueFlush(): void {
    if (this.#pending.size === 0 || this.#flushTimer || this.#stopped) return
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = null
      this.#flush()
    }, this.#d.flushMs ?? 20)
  }

  #sweep(): void {
    const now = this.#d.nowMs()
    for (const [jobId, i] of this.#interests) {
      if (i.expiresAt > now) continue
      i.unsubscribe()
      this.#interests.delete(jobId)
    }
  }
}
