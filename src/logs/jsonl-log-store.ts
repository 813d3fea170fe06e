/**
 * LogStore over one JSONL file per job (ARCHITECTURE.md §6, "one writer per job").
 *
 * Invariants: every operation on a job runs through that job's promise queue, so seqs are
 * assigned and written in one order and the file is always in seq order; `size` and `lastSeq`
 * change together, synchronously, after a write has completed, so a reader that snapshots them
 * never sees a half-written line. Lines are handed to the kernel per append call (no user-space
 * buffering); fsync is left to the OS, and a torn tail after a crash is cut on the next open.
 */
import { closeSync, ftruncateSync, writeSync } from 'node:fs'
import { mkdir, open } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { systemClock } from '../shared/clock.ts'
import { BadRequestError, coerceError } from '../shared/errors.ts'
import type { LogHub } from './log-hub.ts'
import { serializeLogLine, splitLongLine, toWellFormedLine } from './log-record.ts'
import type { LogRecord, NewLogLine } from './log-record.ts'
import type { AppendResult, LogStore, ReadOptions, ReadResult } from './log-store.ts'
import { LogSecrets } from './scrubber.ts'
import {
  forEachLine,
  isSafeJobId,
  logFilePath,
  offsetAfterSeq,
  openLogFile,
  scanTail,
  seqOf,
  stepMatcher,
} from './jsonl-file.ts'

export interface JsonlLogStoreOptions {
  readonly dir: string
  readonly hub: LogHub
  readonly now?: () => Date
  /** Open file handles kept at most; the least recently used is closed beyond it. */
  readonly maxOpenFiles?: number
  /** A job's secret values when none were registered in this process (see LogStore.addSecrets). */
  readonly loadSecrets?: (jobId: string) => Promise<ReadonlyArray<string>>
}

interface JobLog {
  readonly jobId: string
  readonly path: string
  /** Append descriptor (written with sync calls: see writeAll). */
  handle: number | null
  loaded: boolean
  lastSeq: number
  size: number
  pending: number
  /** The job's queue: settles when the last queued operation has (never rejects). */
  tail: Promise<void>
}

interface Snapshot {
  readonly path: string
  readonly size: number
  readonly lastSeq: number
}

function isNotFound(e: Error): boolean {
  return (e as NodeJS.ErrnoException).code === 'ENOENT'
}

/**
 * Appends with a synchronous write: a write to the page cache takes microseconds, while handing
 * it to the libuv thread pool (fs/promises) cost this server more main-thread time per job than
 * its SQL (measured: a third of the CPU of a 1-step job). Same for open and close below.
 */
function writeAll(fd: number, buf: Buffer): void {
  for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off, buf.length - off, null)
}

class JsonlLogStore implements LogStore {
  readonly #dir: string
  readonly #hub: LogHub
  readonly #now: () => Date
  readonly #maxOpen: number
  readonly #jobs = new Map<string, JobLog>()
  readonly #secrets: LogSecrets
  /** Jobs with an open handle, least recently used first (Map keeps insertion order). */
  readonly #open = new Map<string, JobLog>()

  constructor(opts: JsonlLogStoreOptions) {
    this.#dir = opts.dir
    this.#hub = opts.hub
    this.#now = opts.now ?? (() => systemClock.now())
    this.#maxOpen = Math.max(1, opts.maxOpenFiles ?? 256)
    this.#secrets = new LogSecrets({ load: opts.loadSecrets })
  }

  append(jobId: string, lines: ReadonlyArray<NewLogLine>): Promise<AppendResult> {
    let st: JobLog
    try {
      st = this.#job(jobId)
    } catch (e) {
      return Promise.reject(coerceError(e))
    }
    return this.#enqueue(st, () => this.#appendNow(st, lines))
  }

  async read(jobId: string, opts: ReadOptions = {}): Promise<ReadResult> {
    const afterSeq = opts.afterSeq ?? 0
    const snap = await this.#snapshot(jobId)
    if (snap === null) return { lines: [], lastSeq: 0 }
    if (afterSeq >= snap.lastSeq) return { lines: [], lastSeq: snap.lastSeq }
    const matches = opts.step === undefined ? () => true : stepMatcher(opts.step)
    const lines: string[] = []
    const fh = await open(snap.path, 'r')
    try {
      const start = afterSeq > 0 ? await offsetAfterSeq(fh, snap.size, afterSeq) : 0
      await forEachLine(fh, { start, end: snap.size }, (text) => {
        if ((seqOf(text) ?? 0) > afterSeq && matches(text)) lines.push(text)
      })
    } finally {
      await fh.close()
    }
    return { lines, lastSeq: snap.lastSeq }
  }

  async lastSeq(jobId: string): Promise<number> {
    return (await this.#snapshot(jobId))?.lastSeq ?? 0
  }

  addSecrets(jobId: string, values: ReadonlyArray<string>): void {
    this.#secrets.add(jobId, values)
  }

  async close(jobId: string): Promise<void> {
    const st = this.#jobs.get(jobId)
    if (!st) {
      this.#secrets.forget(jobId)
      return
    }
    await this.#enqueue(st, () => this.#closeHandle(st))
    // Appends queued behind the close reopen the file; the state stays until they are done.
    if (st.pending === 0 && st.handle === null && this.#jobs.get(jobId) === st) {
      this.#jobs.delete(jobId)
      this.#secrets.forget(jobId)
    }
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.#jobs.keys()].map((id) => this.close(id)))
  }

  #job(jobId: string): JobLog {
    let st = this.#jobs.get(jobId)
    if (st) return st
    if (!isSafeJobId(jobId)) throw new BadRequestError(`invalid job id for a log: '${jobId}'`)
    const file = logFilePath(this.#dir, jobId, this.#now())
    st = {
      jobId,
      path: file,
      handle: null,
      loaded: false,
      lastSeq: 0,
      size: 0,
      pending: 0,
      tail: Promise.resolve(),
    }
    this.#jobs.set(jobId, st)
    return st
  }

  #enqueue<T>(st: JobLog, op: () => Promise<T>): Promise<T> {
    st.pending += 1
    const run = st.tail.then(async () => {
      try {
        return await op()
      } finally {
        st.pending -= 1
      }
    })
    st.tail = run.then(
      () => undefined,
      () => undefined,
    )
    return run
  }

  async #appendNow(st: JobLog, lines: ReadonlyArray<NewLogLine>): Promise<AppendResult> {
    const scrubber = this.#secrets.get(st.jobId) ?? (await this.#secrets.forJob(st.jobId))
    const fd = await this.#ensureOpen(st)
    const records = this.#toRecords(st, scrubber.scrubLines(lines))
    if (records.length === 0) return { firstSeq: st.lastSeq + 1, lastSeq: st.lastSeq, records }
    const buf = Buffer.from(records.map((r) => r.json).join('\n') + '\n')
    try {
      writeAll(fd, buf)
    } catch (e) {
      // Cut a partial write so the next append starts on a line boundary with no seq gap.
      try {
        ftruncateSync(fd, st.size)
      } catch {
        // the next append reports the file's trouble
      }
      throw new Error(`cannot append to log ${st.path}`, { cause: e })
    }
    st.size += buf.length
    st.lastSeq = records[records.length - 1]!.seq
    this.#hub.publish(st.jobId, records)
    return { firstSeq: records[0]!.seq, lastSeq: st.lastSeq, records }
  }

  #toRecords(st: JobLog, lines: ReadonlyArray<NewLogLine>): LogRecord[] {
    const records: LogRecord[] = []
    let seq = st.lastSeq
    for (const l of lines) {
      for (const piece of splitLongLine(toWellFormedLine(l.line))) {
        seq += 1
        const json = serializeLogLine({
          ts: l.ts,
          stream: l.stream,
          step: l.step,
          line: piece,
          seq,
        })
        records.push({ seq, json, step: l.step })
      }
    }
    return records
  }

  async #ensureOpen(st: JobLog): Promise<number> {
    if (st.handle !== null) {
      this.#open.delete(st.jobId)
      this.#open.set(st.jobId, st)
      return st.handle
    }
    // The directory (one per day) usually exists: create it only when the open says it is missing.
    const opened = await openLogFile(st.path).catch(async (e: unknown) => {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
      await mkdir(path.dirname(st.path), { recursive: true })
      return openLogFile(st.path)
    })
    st.handle = opened.fd
    st.loaded = true
    st.size = opened.size
    st.lastSeq = opened.lastSeq
    this.#open.set(st.jobId, st)
    this.#evictBeyondLimit()
    return opened.fd
  }

  #evictBeyondLimit(): void {
    for (const [jobId, st] of this.#open) {
      if (this.#open.size <= this.#maxOpen) return
      this.#open.delete(jobId)
      // Queued behind the job's pending writes, so a handle is never closed under a write.
      void this.#enqueue(st, () => this.#closeHandle(st)).catch(() => undefined)
    }
  }

  async #closeHandle(st: JobLog): Promise<void> {
    const fd = st.handle
    if (fd === null) return
    st.handle = null
    this.#open.delete(st.jobId)
    closeSync(fd)
  }

  /** A consistent (path, size, lastSeq) view; waits for the job's queue only if it never opened. */
  async #snapshot(jobId: string): Promise<Snapshot | null> {
    let st = this.#jobs.get(jobId)
    if (st && !st.loaded) await this.#enqueue(st, async () => undefined)
    st = this.#jobs.get(jobId)
    if (st?.loaded) return { path: st.path, size: st.size, lastSeq: st.lastSeq }
    if (!isSafeJobId(jobId)) throw new BadRequestError(`invalid job id for a log: '${jobId}'`)
    return this.#snapshotFromFile(st?.path ?? logFilePath(this.#dir, jobId, this.#now()))
  }

  async #snapshotFromFile(file: string): Promise<Snapshot | null> {
    let fh: FileHandle
    try {
      fh = await open(file, 'r')
    } catch (e) {
      const err = coerceError(e)
      if (isNotFound(err)) return null
      throw err
    }
    try {
      const { size } = await fh.stat()
      const { end, lastSeq } = await scanTail(fh, size)
      return { path: file, size: end, lastSeq }
    } finally {
      await fh.close()
    }
  }
}

/** A LogStore writing `<dir>/<yyyy>/<mm>/<dd>/<job_id>.jsonl` files. */
export function createJsonlLogStore(opts: JsonlLogStoreOptions): LogStore {
  return new JsonlLogStore(opts)
}
