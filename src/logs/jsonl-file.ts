/**
 * Byte-level access to one JSONL log file: where it lives, its last seq, and seeking by seq.
 * Lines are written only through serializeLogLine, so `"seq":<n>}` ends every line and a JSON
 * string never contains an unescaped `"`: the fast paths below rely on both.
 */
import path from 'node:path'
import { openSync } from 'node:fs'
import { open, rmdir, unlink, type FileHandle } from 'node:fs/promises'

const NEWLINE = 0x0a
const CHUNK_BYTES = 64 * 1024
const JOB_ID_RE = /^[0-9A-Za-z][0-9A-Za-z_-]{0,127}$/

/** True for the ids the store accepts: anything else could escape the log directory. */
export function isSafeJobId(jobId: string): boolean {
  return JOB_ID_RE.test(jobId)
}

/** Milliseconds since the epoch held in a uuid v7's first 48 bits, or null for other ids. */
export function uuidV7Time(id: string): number | null {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(id))
    return null
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16)
}

/**
 * `<dir>/<yyyy>/<mm>/<dd>/<job_id>.jsonl`, dated (UTC) by the v7 id so the path never changes.
 * Other ids fall back to `today`: their path is stable only within one day.
 */
export function logFilePath(dir: string, jobId: string, today: Date): string {
  const ms = uuidV7Time(jobId)
  const d = ms === null ? today : new Date(ms)
  const yyyy = String(d.getUTCFullYear())
  const mm = String(d.getUTCMonth() + 1).padStart(2, '0')
  const dd = String(d.getUTCDate()).padStart(2, '0')
  return path.join(dir, yyyy, mm, dd, `${jobId}.jsonl`)
}

/**
 * Deletes a job's log file (retention); true when there was one. Its day folder goes too once
 * empty. The caller makes sure nothing writes the log any more (a terminal job, store closed).
 */
export async function removeLogFile(dir: string, jobId: string, today: Date): Promise<boolean> {
  if (!isSafeJobId(jobId)) return false
  const file = logFilePath(dir, jobId, today)
  const removed = await unlink(file).then(
    () => true,
    (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return false
      throw e
    },
  )
  if (removed) await rmdir(path.dirname(file)).catch(() => undefined)
  return removed
}

/** The seq of one stored line, or null when the line is not a log record. */
export function seqOf(text: string): number | null {
  const at = text.lastIndexOf('"seq":')
  if (at >= 0 && text.endsWith('}')) {
    const n = Number(text.slice(at + 6, -1))
    if (Number.isSafeInteger(n) && n > 0) return n
  }
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed !== 'object' || parsed === null || !('seq' in parsed)) return null
    return typeof parsed.seq === 'number' ? parsed.seq : null
  } catch {
    return null
  }
}

/** A predicate for "this stored line belongs to `step`" that needs no JSON.parse. */
export function stepMatcher(step: string): (text: string) => boolean {
  const needle = `"step":${JSON.stringify(step)},"line":`
  return (text) => text.includes(needle)
}

async function readAt(fh: FileHandle, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(len)
  const { bytesRead } = await fh.read(buf, 0, len, pos)
  return buf.subarray(0, bytesRead)
}

/**
 * Finds the end of the last complete line (bytes after it are a torn write) and the seq of the
 * last parsable line before it, reading backwards in growing windows.
 */
export async function scanTail(
  fh: FileHandle,
  size: number,
): Promise<{ end: number; lastSeq: number }> {
  for (let window = CHUNK_BYTES; ; window *= 2) {
    const from = Math.max(0, size - window)
    const buf = await readAt(fh, from, size - from)
    const lastNl = buf.lastIndexOf(NEWLINE)
    if (lastNl < 0) {
      if (from === 0) return { end: 0, lastSeq: 0 }
      continue
    }
    let stop = lastNl
    while (stop >= 0) {
      const prev = stop > 0 ? buf.lastIndexOf(NEWLINE, stop - 1) : -1
      if (prev < 0 && from > 0) break
      const seq = seqOf(buf.toString('utf8', prev + 1, stop))
      if (seq !== null) return { end: from + lastNl + 1, lastSeq: seq }
      stop = prev
    }
    if (from === 0) return { end: lastNl + 1, lastSeq: 0 }
  }
}

/** The first line start at or after `pos` (and before `limit`), or `limit` if there is none. */
async function lineStartFrom(fh: FileHandle, pos: number, limit: number): Promise<number> {
  if (pos === 0) return 0
  for (let at = pos - 1; at < limit; at += CHUNK_BYTES) {
    const buf = await readAt(fh, at, Math.min(CHUNK_BYTES, limit - at))
    const nl = buf.indexOf(NEWLINE)
    if (nl >= 0) return at + nl + 1
    if (buf.length === 0) break
  }
  return limit
}

/** The complete line starting at `start`, or null if it does not end before `limit`. */
async function lineAt(
  fh: FileHandle,
  start: number,
  limit: number,
): Promise<{ text: string; next: number } | null> {
  const parts: Buffer[] = []
  for (let at = start; at < limit;) {
    const buf = await readAt(fh, at, Math.min(CHUNK_BYTES, limit - at))
    if (buf.length === 0) break
    const nl = buf.indexOf(NEWLINE)
    if (nl >= 0) {
      parts.push(buf.subarray(0, nl))
      return { text: Buffer.concat(parts).toString('utf8'), next: at + nl + 1 }
    }
    parts.push(buf)
    at += buf.length
  }
  return null
}

/**
 * A byte offset at or before the first line with seq > afterSeq, found by bisection: lines are in
 * seq order, so a high `after_seq` on a big log costs a few reads instead of a full scan.
 */
export async function offsetAfterSeq(
  fh: FileHandle,
  size: number,
  afterSeq: number,
): Promise<number> {
  let lo = 0
  let hi = size
  while (hi - lo > CHUNK_BYTES) {
    const start = await lineStartFrom(fh, lo + Math.floor((hi - lo) / 2), hi)
    if (start >= hi) break
    const line = await lineAt(fh, start, hi)
    const seq = line === null ? null : seqOf(line.text)
    if (line === null || seq === null) break
    if (seq <= afterSeq) lo = line.next
    else hi = start
  }
  return lo
}

/** Calls `onLine` for each complete line in [start, end); a trailing partial line is skipped. */
export async function forEachLine(
  fh: FileHandle,
  range: { start: number; end: number },
  onLine: (text: string) => void,
): Promise<void> {
  let carry: Buffer = Buffer.alloc(0)
  for (let at = range.start; at < range.end;) {
    const chunk = await readAt(fh, at, Math.min(4 * CHUNK_BYTES, range.end - at))
    if (chunk.length === 0) break
    at += chunk.length
    const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk
    let from = 0
    for (let nl = buf.indexOf(NEWLINE); nl >= 0; nl = buf.indexOf(NEWLINE, from)) {
      onLine(buf.toString('utf8', from, nl))
      from = nl + 1
    }
    carry = Buffer.from(buf.subarray(from))
  }
}

/**
 * Opens a job's log for appending (a descriptor for sync writes): a new file (most logs: a job
 * just created here) by create-exclusive, with no stat or tail scan; an existing one at the end
 * of its last complete line (a torn last line from a crash is cut off), with the seq of that line.
 */
export async function openLogFile(
  file: string,
): Promise<{ fd: number; size: number; lastSeq: number }> {
  try {
    return { fd: openSync(file, 'ax'), size: 0, lastSeq: 0 }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
  }
  let scanned: { end: number; lastSeq: number }
  const fh = await open(file, 'r+')
  try {
    const { size } = await fh.stat()
    scanned = await scanTail(fh, size)
    if (scanned.end < size) await fh.truncate(scanned.end)
  } catch (e) {
    throw new Error(`cannot open log ${file}`, { cause: e })
  } finally {
    await fh.close().catch(() => undefined)
  }
  return { fd: openSync(file, 'a'), size: scanned.end, lastSeq: scanned.lastSeq }
}
