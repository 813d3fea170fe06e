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
export function createLogHub(opts: { onListenerError?: (e: Error) => void } = {}): LogHub {
  const byJob = new Map<string, Set<LogListener>>()

  function each(jobId: string, call: (l: LogListener) => void): void {
    const set = byJob.get(jobId)
    if (!set) return
    for (const listener of [...set]) {
      try {
        call(listener)
      } catch (e) {
        opts.onListenerError?.(coerceError(e))
      }
    }
  }

  return {
    subscribe(jobId, listener) {
      let set = byJob.get(jobId)
      if (!set) byJob.set(jobId, (set = new Set()))
      const wrapper: LogListener = {
        onLines: (r) => listener.onLines(r),
        onEnd: (i) => listener.onEnd(i),
      }
      set.add(wrapper)
      return () => {
        const current = byJob.get(jobId)
        if (!current?.delete(wrapper)) return
        if (current.size === 0) byJob.delete(jobId)
      }
    },
    publish(jobId, records) {
      if (records.length > 0) each(jobId, (l) => l.onLines(records))
    },
    publishEnd(jobId, info) {
      each(jobId, (l) => l.onEnd(info))
    },
    subscriberCount(jobId) {
      return byJob.get(jobId)?.size ?? 0
    },
  }
}
