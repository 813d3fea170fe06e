/**
 * Masks secret values in text and JSON before anything is stored or sent (logs, outputs, error
 * messages, API bodies). Pure: the log store, the engine and the API share this one mask.
 *
 * Values shorter than MIN_SECRET_LENGTH characters are not masked: hiding every `1`, `ok` or `yes`
 * would make logs unreadable while protecting almost nothing. A value with newlines is masked line
 * by line, because output is cut into lines before it is stored. The JSON-escaped form of a value
 * is masked too, since scripts often print secrets inside JSON.
 */

export const SECRET_MASK = '******'
export const MIN_SECRET_LENGTH = 4

export interface Scrubber {
  /** False when there is nothing to mask: callers skip all work (no regex runs). */
  readonly active: boolean
  /** Length of the longest fragment in UTF-16 units; 0 when inactive. */
  readonly maxLength: number
  /** The text with every fragment replaced by `******`. */
  scrub(text: string): string
  /**
   * Masks the part of `text` that later text cannot change and returns it as `out`; `held` is the
   * raw tail (shorter than `maxLength` plus one) that could be the start of a secret.
   */
  scrubPartial(text: string): { out: string; held: string }
}

const identity: Scrubber = {
  active: false,
  maxLength: 0,
  scrub: (text) => text,
  scrubPartial: (text) => ({ out: text, held: '' }),
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff
}

/** The distinct one-line fragments to mask for a set of secret values, longest first. */
export function secretFragments(values: Iterable<string>): string[] {
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
 * A scrubber over one regular expression: a single left-to-right pass however many secrets there
 * are. Alternatives are tried in order at each position, so listing them longest first masks
 * `abcdef` whole even when `abc` is also a secret.
 */
export function createScrubber(values: Iterable<string>): Scrubber {
  const fragments = secretFragments(values)
  if (fragments.length === 0) return identity
  const source = fragments.map(escapeRegExp).join('|')
  const replaceAll = new RegExp(source, 'g')
  const maxLength = fragments[0]!.length
  return {
    active: true,
    maxLength,
    scrub: (text) => (text.length === 0 ? text : text.replace(replaceAll, SECRET_MASK)),
    scrubPartial(text) {
      // A match starting before `safeEnd` has all its characters in `text`, so it is the same
      // match the whole stream would give; later starts wait for more text.
      const safeEnd = text.length - (maxLength - 1)
      if (safeEnd <= 0) return { out: '', held: text }
      const re = new RegExp(source, 'g')
      let out = ''
      let last = 0
      for (let m = re.exec(text); m !== null && m.index < safeEnd; m = re.exec(text)) {
        out += text.slice(last, m.index) + SECRET_MASK
        last = m.index + m[0].length
      }
      let cut = Math.max(last, safeEnd)
      // Never split a surrogate pair between what is emitted and what is held.
      if (cut > last && isHighSurrogate(text.charCodeAt(cut - 1))) cut -= 1
      return { out: out + text.slice(last, cut), held: text.slice(cut) }
    },
  }
}

/** The scrubber for no secrets at all. */
export function noSecrets(): Scrubber {
  return identity
}

export interface StreamScrubber {
  /** The masked text that is safe to emit now; a tail that could start a secret is kept back. */
  push(text: string): string
  /** The kept-back tail, masked; the stream is then empty again. */
  end(): string
}

/**
 * Masks a stream that arrives in pieces, so a secret cut between two pieces is still masked.
 * Output concatenated equals `scrub` of the input concatenated.
 */
export function createStreamScrubber(scrubber: Scrubber): StreamScrubber {
  let held = ''
  return {
    push(text) {
      if (!scrubber.active) return text
      const r = scrubber.scrubPartial(held + text)
      held = r.held
      return r.out
    },
    end() {
      const rest = scrubber.scrub(held)
      held = ''
      return rest
    },
  }
}

/** A copy of a JSON value with secrets masked in every string (keys included). */
export function maskJsonStrings(value: unknown, scrubber: Scrubber): unknown {
  if (!scrubber.active) return value
  if (typeof value === 'string') return scrubber.scrub(value)
  if (Array.isArray(value)) return value.map((v) => maskJsonStrings(v, scrubber))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [scrubber.scrub(k), maskJsonStrings(v, scrubber)]),
    )
  }
  return value
}

/** `text` masked, keeping null as null. */
export function maskText(text: string | null, scrubber: Scrubber): string | null {
  return text === null || !scrubber.active ? text : scrubber.scrub(text)
}
