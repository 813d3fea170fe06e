/**
 * Turns a child's byte stream into log lines (WORKSPACE-FORMAT.md §9.2, API.md §6.1): UTF-8 decoded
 * across chunk boundaries (invalid bytes become U+FFFD), a trailing `\r` dropped, lines over the
 * byte limit cut into consecutive pieces, and a final unterminated line still emitted at end().
 */
import { MAX_LINE_BYTES, splitUtf8 } from '../../shared/utf8.ts'

export { MAX_LINE_BYTES, splitUtf8 }

/** `endsLine` is false for a piece whose line continues in the next piece (a cut long line). */
export type LineSink = (piece: string, endsLine: boolean) => void

export interface LineSplitter {
  push(chunk: Uint8Array): void
  /** Flushes the decoder and the unterminated last line, if any. */
  end(): void
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
