/**
 * How an artifact download is shown (API.md, Weir's artifacts): only a few harmless types in
 * place, everything else as a download whose filename the artifact's name cannot break out of.
 * With `X-Content-Type-Options: nosniff` a browser never guesses another type.
 */

/** Types a browser may show in place: images it decodes itself, and plain text. */
const INLINE = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'text/plain'])

/** The Content-Type header: text gets an explicit charset so a browser never guesses one. */
export function contentTypeHeader(contentType: string): string {
  return contentType.startsWith('text/') ? `${contentType}; charset=utf-8` : contentType
}

/**
 * The Content-Disposition header: `inline` only for INLINE types, else `attachment`; the
 * filename (the name's last segment) in a quoted ASCII form with anything unsafe replaced by `_`,
 * and exactly in RFC 5987's `filename*` (percent-encoded UTF-8).
 */
export function contentDispositionOf(name: string, contentType: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1)
  const ascii = base.replace(/[^A-Za-z0-9._ -]/g, '_')
  const encoded = encodeURIComponent(base).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
  const kind = INLINE.has(contentType) ? 'inline' : 'attachment'
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`
}
