/**
 * Masks secret values in log lines before they are stored.
 *
 * Values shorter than MIN_SECRET_LENGTH characters are not masked: hiding every `1` or `ok` in a
 * log would make it unreadable while protecting almost nothing. A value with newlines is masked
 * line by line, because the executor has already cut output into lines when it reaches us. The
 * JSON-escaped form of a value is masked too, since scripts often print secrets inside JSON.
 */

export const SECRET_MASK = '******'
export const MIN_SECRET_LENGTH = 3

export interface Scrubber {
  /** The line with every registered value replaced by `******`. */
  scrub(line: string): string
}

const identity: Scrubber = { scrub: (line) => line }

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** The distinct one-line fragments to mask for a set of secret values, longest first. */
export function secretFragments(values: ReadonlyArray<string>): string[] {
  const fragments = new Set<string>()
  for (const value of values) {
    for (const part of value.split(/\r?\n/)) {
      if (part.trim().length < MIN_SECRET_LENGTH) continue
      fragments.add(part)
      fragments.add(JSON.stringify(part).slice(1, -1))
    }
  }
  return [...fragments].sort((a, b) => b.length - a.length)
}

/**
 * Builds a scrubber over one regular expression. Alternatives are tried in order at each position,
 * so listing them longest first masks `abcdef` whole even when `abc` is also a secret.
 */
export function createScrubber(values: ReadonlyArray<string>): Scrubber {
  const fragments = secretFragments(values)
  if (fragments.length === 0) return identity
  const pattern = new RegExp(fragments.map(escapeRegExp).join('|'), 'g')
  return {
    scrub: (line) => (line.length === 0 ? line : line.replace(pattern, SECRET_MASK)),
  }
}
