/** In-process fan-out of stored log lines to the job's live subscribers (sockets, tests). */
import { coerceError } from '../shared/errors.ts'
import type { LogRecord } from './log-record.ts'

export interface LogEndInfo {
  readonly status: string
  readonly lastSeq: number
}

export interface LogListener {
  onLines(records: ReadonlyArray<LogRecord>): void
  onEnd(info: LogEndInfo): void
}

export interface LogHub {
  /** Registers a listener for one job; the returned function unsubscribes (idempotent). */
  subscribe(jobId: string, listener: LogListener): () => void
  publish(jobId: string, records: ReadonlyArray<LogRecord>): void
  publishEnd(jobId: string, info: LogEndInfo): void
  subscriberCount(jobId: string): number
}

/**
 * Listeners are called synchronously, in subscription order, with the very records the store
 * wrote: a listener must not block and must not throw. A throwing listener is reported through
 * `onListenerError` and the others still get the lines.
 */
export interface LogHubOptions {
  readonly onListenerError?: (e: Error) => void
  /**
   * Told when a job's subscriber count changes (after the change). Cross-replica followers use it
   * to start reading a log another replica writes; it must not throw.
   */
  readonly onSubscribersChanged?: (jobId: string, count: number) => void
}

class InProcessLogHub implements LogHub {
  readonly #byJob = new Map<string, Set<LogListener>>()
  readonly #onListenerError: ((e: Error) => void) | undefined
  readonly #onChanged: ((jobId: string, count: number) => void) | undefined

  constructor(opts: LogHubOptions) {
    this.#onListenerError = opts.onListenerError
    this.#onChanged = opts.onSubscribersChanged
  }

  subscribe(jobId: string, listener: LogListener): () => void {
    let set = this.#byJob.get(jobId)
    if (!set) this.#byJob.set(jobId, (set = new Set()))
    // A wrapper per call, so subscribing one listener twice gives two independent subscriptions.
    const entry: LogListener = {
      onLines: (r) => listener.onLines(r),
      onEnd: (i) => listener.onEnd(i),
    }
    set.add(entry)
    this.#onChanged?.(jobId, set.size)
    return () => {
      const current = this.#byJob.get(jobId)
      if (!current?.delete(entry)) return
      if (current.size === 0) this.#byJob.delete(jobId)
      this.#onChanged?.(jobId, current.size)
    }
  }

  publish(jobId: string, records: ReadonlyArray<LogRecord>): void {
    if (records.length > 0) this.#each(jobId, (l) => l.onLines(records))
  }

  publishEnd(jobId: string, info: LogEndInfo): void {
    this.#each(jobId, (l) => l.onEnd(info))
  }

  subscriberCount(jobId: string): number {
    return this.#byJob.get(jobId)?.size ?? 0
  }

  #each(jobId: string, call: (l: LogListener) => void): void {
    const set = this.#byJob.get(jobId)
    if (!set) return
    for (const listener of [...set]) {
      try {
        call(listener)
      } catch (e) {
        this.#onListenerError?.(coerceError(e))
      }
    }
  }
}

export function createLogHub(opts: LogHubOptions = {}): LogHub {
  return new InProcessLogHub(opts)
}
