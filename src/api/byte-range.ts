/**
 * The `Range` request header for one byte range (RFC 9110 §14): `bytes=a-b`, `bytes=a-` or
 * `bytes=-n`. Anything else (other units, several ranges, garbage) is ignored and the whole body
 * is sent, as the RFC allows; a range that starts past the end cannot be satisfied (416).
 */

export type ByteRange =
  | { readonly kind: 'all' }
  | { readonly kind: 'range'; readonly start: number; readonly end: number }
  | { readonly kind: 'unsatisfiable' }

export function parseByteRange(header: string | undefined, size: number): ByteRange {
  if (header === undefined || header === '') return { kind: 'all' }
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'all' }
  if (m[1] === '') {
    const suffix = Number(m[2])
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' }
    return { kind: 'range', start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(m[1])
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  if (m[2] !== '' && Number(m[2]) < start) return { kind: 'all' }
  if (start >= size) return { kind: 'unsatisfiable' }
  return { kind: 'range', start, end }
}
