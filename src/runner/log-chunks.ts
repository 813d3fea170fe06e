/**
 * Splits a batch of output lines into log pushes the server accepts (API.md §11.5: 1–1000 lines
 * and at most 1 MiB per call). Pure; lines keep their order.
 */
import type { ExecLine } from './executors/script-executor.ts'

export const MAX_LINES_PER_PUSH = 1000
/** Well under the 1 MiB body limit, leaving room for JSON escaping and the envelope. */
export const MAX_PUSH_BYTES = 512 * 1024

export interface WireLine {
  readonly ts: string
  readonly stream: 'stdout' | 'stderr'
  readonly line: string
}

/** Rough wire size of one line: its UTF-8 bytes (escapes aside) plus the keys and timestamp. */
function wireBytes(l: ExecLine): number {
  return Buffer.byteLength(l.line, 'utf8') + 64
}

export function chunkLines(
  lines: ReadonlyArray<ExecLine>,
  maxLines = MAX_LINES_PER_PUSH,
  maxBytes = MAX_PUSH_BYTES,
): WireLine[][] {
  const chunks: WireLine[][] = []
  let current: WireLine[] = []
  let bytes = 0
  for (const l of lines) {
    const size = wireBytes(l)
    if (current.length > 0 && (current.length >= maxLines || bytes + size > maxBytes)) {
      chunks.push(current)
      current = []
      bytes = 0
    }
    current.push({ ts: l.ts, stream: l.stream, line: l.line })
    bytes += size
  }
  if (current.length > 0) chunks.push(current)
  return chunks
}
