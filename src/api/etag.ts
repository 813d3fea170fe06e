/**
 * Entity tags of content named by a revision (workspace and library archives): the revision is
 * the tag, so equal tags mean equal bytes and a weak comparison is as good as a strong one.
 */

/** `"<value>"`, the form an ETag header carries. */
export function quoteEtag(value: string): string {
  return `"${value}"`
}

/**
 * Whether an `If-None-Match` header names `value` (RFC 9110 §13.1.2): `*`, or a comma-separated
 * list of tags, each quoted or bare, weak (`W/`) or not.
 */
export function etagMatches(header: string | undefined, value: string): boolean {
  if (header === undefined) return false
  return header.split(',').some((raw) => {
    const tag = raw.trim()
    if (tag === '*') return true
    const strong = tag.startsWith('W/') ? tag.slice(2) : tag
    const bare = strong.length >= 2 && strong.startsWith('"') && strong.endsWith('"')
    return (bare ? strong.slice(1, -1) : strong) === value
  })
}
