/**
 * Masks secret values in a job's log lines before they are stored (API.md §6.1), with one secret
 * set per job. Executors cut output into lines before it gets here, so a secret split across two
 * reads of a pipe is already whole again; the one place a secret can still be cut is a line over
 * the record limit, which arrives as pieces flagged `continues`. For those, a tail as long as the
 * longest secret minus one is held back until the next piece of that step's stream.
 *
 * When a job has no secret values the lines pass through untouched: no regex, no copy.
 */
import {
  createScrubber,
  createStreamScrubber,
  noSecrets,
  type Scrubber,
  type StreamScrubber,
} from '../shared/secret-mask.ts'
import type { NewLogLine } from './log-record.ts'

export interface LogSecretsOptions {
  /**
   * The job's secret values when none were registered in this process (after a restart, for a
   * job another replica created). Without it such a job has no secrets.
   */
  readonly load?: (jobId: string) => Promise<ReadonlyArray<string>>
  /** Jobs remembered at most; beyond it the oldest is forgotten (and loaded again if it logs). */
  readonly maxJobs?: number
}

/** One job's secret set and the held-back tails of its cut lines, by step and stream. */
export class JobLogScrubber {
  readonly #values = new Set<string>()
  #scrubber: Scrubber = noSecrets()
  readonly #tails = new Map<string, StreamScrubber>()

  get scrubber(): Scrubber {
    return this.#scrubber
  }

  /** Adds values; the regex is rebuilt only when one is new. */
  add(values: Iterable<string>): void {
    const before = this.#values.size
    for (const v of values) this.#values.add(v)
    if (this.#values.size !== before) this.#scrubber = createScrubber(this.#values)
  }

  /** The lines with secrets masked; a piece that is all held back is left out. */
  scrubLines(lines: ReadonlyArray<NewLogLine>): ReadonlyArray<NewLogLine> {
    if (!this.#scrubber.active) return lines
    const out: NewLogLine[] = []
    for (const l of lines) {
      const key = `${l.step}\u0000${l.stream}`
      const tail = this.#tails.get(key)
      if (l.continues) {
        const stream = tail ?? createStreamScrubber(this.#scrubber)
        if (!tail) this.#tails.set(key, stream)
        const text = stream.push(l.line)
        if (text !== '') out.push({ ts: l.ts, stream: l.stream, step: l.step, line: text })
      } else if (tail) {
        this.#tails.delete(key)
        const text = tail.push(l.line) + tail.end()
        out.push({ ts: l.ts, stream: l.stream, step: l.step, line: text })
      } else {
        out.push({ ts: l.ts, stream: l.stream, step: l.step, line: this.#scrubber.scrub(l.line) })
      }
    }
    return out
  }
}

/** The per-job scrubbers of one log store. */
export class LogSecrets {
  readonly #jobs = new Map<string, JobLogScrubber>()
  readonly #load: LogSecretsOptions['load']
  readonly #maxJobs: number

  constructor(opts: LogSecretsOptions = {}) {
    this.#load = opts.load
    this.#maxJobs = Math.max(1, opts.maxJobs ?? 10_000)
  }

  /** Adds secret values to a job's set (an empty list still marks the job as known). */
  add(jobId: string, values: ReadonlyArray<string>): void {
    this.#entry(jobId).add(values)
  }

  /** The job's scrubber if this process knows the job. */
  get(jobId: string): JobLogScrubber | undefined {
    return this.#jobs.get(jobId)
  }

  /**
   * The job's scrubber, loading its secret set first when unknown. A failed load throws, so the
   * lines are not stored unmasked; the caller's retry loads again.
   */
  async forJob(jobId: string): Promise<JobLogScrubber> {
    const known = this.#jobs.get(jobId)
    if (known || !this.#load) return known ?? this.#entry(jobId)
    const values = await this.#load(jobId)
    const entry = this.#entry(jobId)
    entry.add(values)
    return entry
  }

  forget(jobId: string): void {
    this.#jobs.delete(jobId)
  }

  #entry(jobId: string): JobLogScrubber {
    let entry = this.#jobs.get(jobId)
    if (entry) return entry
    entry = new JobLogScrubber()
    this.#jobs.set(jobId, entry)
    for (const oldest of this.#jobs.keys()) {
      if (this.#jobs.size <= this.#maxJobs) break
      this.#jobs.delete(oldest)
    }
    return entry
  }
}
