/**
 * Turns a child's byte stream into log lines (WORKSPACE-FORMAT.md §9.2, API.md §6.1): UTF-8 decoded
 * across chunk boundaries (invalid bytes become U+FFFD), a trailing `\r` dropped, lines over the
 * byte limit cut into consecutive pieces, and a final unterminated line still emitted at end().
 */

export const MAX_LINE_BYTES = 65536

/** `endsLine` is false for a piece whose line continues in the next piece (a cut long line). */
export type LineSink = (piece: string, endsLine: boolean) => void

export interface LineSplitter {
  push(chunk: Uint8Array): void
  /** Flushes the decoder and the unterminated last line, if any. */
  end(): void
}

function utf8Width(code: number): number {
  if (code < 0x80) return 1
  if (code < 0x800) return 2
  if (code < 0x10000) return 3
  return 4
}

/** Cuts `text` into pieces of at most `maxBytes` UTF-8 bytes, never inside a surrogate pair. */
export function splitUtf8(text: string, maxBytes: number): string[] {
  if (text.length * 3 <= maxBytes) return [text]
  const pieces: string[] = []
  let start = 0
  let bytes = 0
  for (let i = 0; i < text.length;) {
    const code = text.codePointAt(i)!
    const width = utf8Width(code)
    if (bytes + width > maxBytes && i > start) {
      pieces.push(text.slice(start, i))
      start = i
      bytes = 0
    }
    bytes += width
    i += code > 0xffff ? 2 : 1
  }
  pieces.push(text.slice(start))
  return pieces
}

function emitPieces(sink: LineSink, pieces: ReadonlyArray<string>, lastEndsLine: boolean): void {
  for (let i = 0; i < pieces.length; i++) {
    sink(pieces[i]!, i === pieces.length - 1 && lastEndsLine)
  }
}

/** A splitter for one stream; `sink` is called synchronously from push() and end(). */
export function createLineSplitter(sink: LineSink, maxBytes = MAX_LINE_BYTES): LineSplitter {
  // ignoreBOM keeps a leading U+FEFF as output: the log shows exactly what the step printed.
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true })
  let pending = ''

  function emitLine(line: string): void {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line
    emitPieces(sink, splitUtf8(text, maxBytes), true)
  }

  function consume(text: string): void {
    let from = 0
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      emitLine(text.slice(from, nl))
      from = nl + 1
    }
    pending = text.slice(from)
    // Emit full pieces of an overlong unterminated line now, so memory stays bounded.
    if (pending.length * 3 > maxBytes) {
      const pieces = splitUtf8(pending, maxBytes)
      pending = pieces.pop()!
      emitPieces(sink, pieces, false)
    }
  }

  return {
    push(chunk) {
      consume(pending + decoder.decode(chunk, { stream: true }))
    },
    end() {
      const rest = pending + decoder.decode()
      pending = ''
      if (rest.length > 0) emitLine(rest)
    },
  }
}
