/** UTF-8 helpers shared by the executors (line splitting) and the log store (record splitting). */

/** The largest log line a record may carry, in UTF-8 bytes (API.md §6.1). */
export const MAX_LINE_BYTES = 65536

function utf8Width(code: number): number {
  if (code < 0x80) return 1
  if (code < 0x800) return 2
  if (code < 0x10000) return 3
  return 4
}

/**
 * Splits `text` into pieces of at most `maxBytes` UTF-8 bytes, never inside a character or a
 * surrogate pair. Every piece but the last is as long as the limit allows; an empty text stays
 * one empty piece.
 */
export function splitUtf8(text: string, maxBytes: number = MAX_LINE_BYTES): string[] {
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
