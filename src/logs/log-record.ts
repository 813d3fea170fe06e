/** The JSONL log line of API.md §6.1 and the helpers that keep every stored line well formed. */
import { MAX_LINE_BYTES, splitUtf8 } from '../shared/utf8.ts'

export interface LogLine {
  readonly ts: string
  readonly stream: 'stdout' | 'stderr'
  readonly step: string
  readonly line: string
  readonly seq: number
}

/**
 * A line to append. `continues` marks a piece of a line cut at the record limit whose next piece
 * follows: the scrubber holds back its tail so a secret cut in two is still masked.
 */
export type NewLogLine = Omit<LogLine, 'seq'> & { readonly continues?: boolean }

/** A stored line as the hub and sockets see it: serialised once, sent as the same string to all. */
export interface LogRecord {
  readonly seq: number
  readonly json: string
  readonly step: string
}

export { MAX_LINE_BYTES }

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

/** Splits a line into records of at most `maxBytes` UTF-8 bytes (see shared/utf8.ts). */
export function splitLongLine(line: string, maxBytes = MAX_LINE_BYTES): string[] {
  return splitUtf8(line, maxBytes)
}
