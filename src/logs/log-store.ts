/** Where job logs live. One writer per job (ARCHITECTURE.md §6): seq is assigned here, in memory. */
import type { LogRecord, NewLogLine } from './log-record.ts'

export interface AppendResult {
  /** seq of the first stored record; `lastSeq + 1` when nothing was appended. */
  readonly firstSeq: number
  readonly lastSeq: number
  readonly records: ReadonlyArray<LogRecord>
}

export interface ReadResult {
  /** Raw JSON lines without their newline, in seq order. */
  readonly lines: ReadonlyArray<string>
  /** Highest seq in the whole log at read time (0 when empty), whatever the filters. */
  readonly lastSeq: number
}

export interface ReadOptions {
  readonly afterSeq?: number
  readonly step?: string
}

export interface LogStore {
  /**
   * Masks secrets, splits lines over 64 KiB, assigns consecutive seqs and appends the records in
   * order; publishes them to the hub only after they are written. Calls for one job are queued,
   * so concurrent callers never interleave or leave a gap.
   */
  append(jobId: string, lines: ReadonlyArray<NewLogLine>): Promise<AppendResult>
  read(jobId: string, opts?: ReadOptions): Promise<ReadResult>
  lastSeq(jobId: string): Promise<number>
  /**
   * Adds values to mask as `******` in this job's future lines (the set only grows). A job with
   * no values registered gets its set from the store's `loadSecrets` before its first line.
   */
  addSecrets(jobId: string, values: ReadonlyArray<string>): void
  /**
   * Flushes and closes the job's file and forgets its in-memory state, secrets included: a later
   * append reopens the file, recovers lastSeq from its tail and loads the secret set again.
   */
  close(jobId: string): Promise<void>
  closeAll(): Promise<void>
}
