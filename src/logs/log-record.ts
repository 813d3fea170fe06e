/** The JSONL log line of API.md §6.1 and the helpers that keep every stored line well formed. */

export interface LogLine {
  readonly ts: string
  readonly stream: 'stdout' | 'stderr'
  readonly step: string
  readonly line: string
  readonly seq: number
}

export type NewLogLine = Omit<LogLine, 'seq'>

/** A stored line as the hub and sockets see it: serialised once, sent as the same string to all. */
export interface LogRecord {
  readonly seq: number
  readonly json: string
  readonly step: string
}

/** The largest `line` a record may carry, in UTF-8 bytes (API.md §6.1). */
export const MAX_LINE_BYTES = 65536

/** One JSON object with the keys in the documented order and no trailing newline. */
export function serializeLogLine(l: LogLine): string {
  return JSON.stringify({ ts: l.ts, stream: l.stream, step: l.step, line: l.line, seq: l.seq })
}

/** The message that closes a log stream (API.md §6.3). */
export function endMarker(jobId: string, status: string, lastSeq: number): string {
  return JSON.stringify({ type: 'end', job_id: jobId, status, last_seq: lastSeq })
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/**
 * Replaces unpaired UTF-16 surrogates with U+FFFD. Such strings have no UTF-8 form, so a line
 * pushed by a remote worker could otherwise reach the file as an escape no client can decode.
 */
export function toWellFormedLine(line: string): string {
  return line.replace(LONE_SURROGATE, '\uFFFD')
}

function utf8Width(code: number): number {
  if (code < 0x80) return 1
  if (code < 0x800) return 2
  if (code < 0x10000) return 3
  return 4
}

/**
 * Splits `line` into pieces of at most `maxBytes` UTF-8 bytes, never inside a character or a
 * surrogate pair. Every piece but the last is as long as the limit allows; an empty line stays one
 * empty piece.
 */
export function splitLongLine(line: string, maxBytes = MAX_LINE_BYTES): string[] {
  if (line.length * 3 <= maxBytes) return [line]
  const pieces: string[] = []
  let start = 0
  let bytes = 0
  let i = 0
  while (i < line.length) {
    const code = line.codePointAt(i)!
    const width = utf8Width(code)
    const units = code > 0xffff ? 2 : 1
    if (bytes + width > maxBytes && i > start) {
      pieces.push(line.slice(start, i))
      start = i
      bytes = 0
    }
    bytes += width
    i += units
  }
  pieces.push(line.slice(start))
  return pieces
}
