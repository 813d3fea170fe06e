/**
 * What the engine needs from the log layer, `_server` lines and the end of a job's log, and its
 * implementation over the log store (log_last_seq, then the hub's end notice).
 */
import type { Clock } from '../shared/clock.ts'
import type { JobStatus } from '../shared/statuses.ts'
import type { LogHub } from './log-hub.ts'
import type { LogStore } from './log-store.ts'
import type { Logger } from '../shared/logger.ts'
import { coerceError } from '../shared/errors.ts'

export interface JobLogs {
  /** Appends a `_server` line (ordered per job; failures are logged, never thrown). */
  server(jobId: string, line: string, stream?: 'stdout' | 'stderr'): void
  /** Writes the final line, records log_last_seq and tells live readers the log is complete. */
  end(jobId: string, status: JobStatus, line: string): Promise<void>
}

export interface JobLogEndDeps {
  readonly store: Pick<LogStore, 'append' | 'close'>
  readonly hub: Pick<LogHub, 'publishEnd'>
  /** Stores jobs.log_last_seq (coalesced across jobs ending together). */
  readonly recordLastSeq: (jobId: string, lastSeq: number) => Promise<void>
  readonly clock: Clock
}

/**
 * Ends a job's log on the replica that writes it: the last `_server` line, then log_last_seq,
 * then the end notice to live readers, then the file is closed. Throws on failure.
 */
export async function endJobLog(
  d: JobLogEndDeps,
  end: { readonly jobId: string; readonly status: string; readonly line: string },
): Promise<void> {
  const { jobId, status, line } = end
  const { lastSeq } = await d.store.append(jobId, [
    { ts: d.clock.now().toISOString(), stream: 'stdout', step: '_server', line },
  ])
  await d.recordLastSeq(jobId, lastSeq)
  d.hub.publishEnd(jobId, { status, lastSeq })
  await d.store.close(jobId)
}

export function createJobLogWriter(d: {
  store: LogStore
  hub: LogHub
  recordLastSeq: (jobId: string, lastSeq: number) => Promise<void>
  clock: Clock
  logger: Logger
  /** Ends a log some other way (another replica may own it); default: endJobLog on `store`. */
  endLog?: (jobId: string, status: JobStatus, line: string) => Promise<void>
}): JobLogs {
  const server = (jobId: string, line: string, stream: 'stdout' | 'stderr' = 'stdout') =>
    d.store.append(jobId, [{ ts: d.clock.now().toISOString(), stream, step: '_server', line }])
  const endLog = d.endLog ?? ((jobId, status, line) => endJobLog(d, { jobId, status, line }))
  return {
    server(jobId, line, stream) {
      server(jobId, line, stream).catch((e: unknown) =>
        d.logger.error({ err: coerceError(e), jobId }, 'writing a server log line failed'),
      )
    },
    async end(jobId: string, status: JobStatus, line: string) {
      try {
        await endLog(jobId, status, line)
      } catch (e) {
        d.logger.error({ err: coerceError(e), jobId }, 'closing the job log failed')
      }
    },
  }
}
