/** What the engine needs from the log layer: `_server` lines and the end of a job's log. */
import type { JobStatus } from '../shared/statuses.ts'

export interface JobLogs {
  /** Appends a `_server` line (ordered per job; failures are logged, never thrown). */
  server(jobId: string, line: string, stream?: 'stdout' | 'stderr'): void
  /** Writes the final line, records log_last_seq and tells live readers the log is complete. */
  end(jobId: string, status: JobStatus, line: string): Promise<void>
}
