/**
 * The `OUTPUT:` line protocol (WORKSPACE-FORMAT.md §9.3): a stdout line starting in column 1 with
 * `OUTPUT:`, then one optional space, then JSON, sets the step output; the last valid one wins.
 * The collector sees whole logical lines even when the splitter cut them at 64 KiB, so the 1 MiB
 * limit applies to the JSON text itself.
 */

import { coerceError } from '../../shared/errors.ts'

export const OUTPUT_PREFIX = 'OUTPUT:'
export const MAX_OUTPUT_BYTES = 1024 * 1024
const MAX_WARNINGS = 20

export type OutputLine =
  | { readonly kind: 'none' }
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'invalid'; readonly reason: string }

/** Classifies one complete stdout line. */
export function parseOutputLine(line: string): OutputLine {
  return parsePrefixedLine(line, OUTPUT_PREFIX)
}

/**
 * Classifies one complete stdout line of a `<PREFIX>: <json>` protocol (OUTPUT:, and STATE: /
 * GLOBAL_STATE: for task state): the prefix in column 1, one optional space, then JSON.
 */
export function parsePrefixedLine(line: string, prefix: string): OutputLine {
  if (!line.startsWith(prefix)) return { kind: 'none' }
  const skip = line.charAt(prefix.length) === ' ' ? 1 : 0
  const json = line.slice(prefix.length + skip)
  const bytes = Buffer.byteLength(json)
  if (bytes > MAX_OUTPUT_BYTES) {
    return { kind: 'invalid', reason: `${bytes} bytes of JSON, over the 1 MiB limit` }
  }
  try {
    return { kind: 'value', value: JSON.parse(json) as unknown }
  } catch (e) {
    return { kind: 'invalid', reason: `invalid JSON (${coerceError(e).message})` }
  }
}

export interface OutputCollector {
  /** Feeds one stdout piece from the line splitter. */
  observe(piece: string, endsLine: boolean): void
  readonly found: boolean
  /** The last valid value; undefined when none was found. */
  readonly value: unknown
  readonly warnings: ReadonlyArray<string>
}

/** Collects the step output from stdout pieces, buffering only lines that start with `OUTPUT:`. */
class StdoutOutputCollector implements OutputCollector {
  #lineNo = 0
  #atLineStart = true
  /** Pieces of the current line while it is an `OUTPUT:` line under the size limit. */
  #parts: string[] | null = null
  #partsLength = 0
  #oversized = false
  #found = false
  #value: unknown = undefined
  readonly #warnings: string[] = []

  get found(): boolean {
    return this.#found
  }
  get value(): unknown {
    return this.#value
  }
  get warnings(): ReadonlyArray<string> {
    return this.#warnings
  }

  observe(piece: string, endsLine: boolean): void {
    if (this.#atLineStart) {
      this.#lineNo += 1
      this.#parts = piece.startsWith(OUTPUT_PREFIX) ? [] : null
      this.#partsLength = 0
      this.#oversized = false
    }
    if (this.#parts !== null && !this.#oversized) {
      this.#partsLength += piece.length
      // A UTF-16 length over the limit plus the prefix is already too many UTF-8 bytes.
      if (this.#partsLength > MAX_OUTPUT_BYTES + OUTPUT_PREFIX.length + 1) this.#oversized = true
      else this.#parts.push(piece)
    }
    this.#atLineStart = endsLine
    if (endsLine) this.#finishLine()
  }

  #finishLine(): void {
    if (this.#parts === null) return
    const result: OutputLine = this.#oversized
      ? { kind: 'invalid', reason: 'over the 1 MiB limit' }
      : parseOutputLine(this.#parts.join(''))
    this.#parts = null
    if (result.kind === 'value') {
      this.#found = true
      this.#value = result.value
    } else if (result.kind === 'invalid') {
      this.#warn(result.reason)
    }
  }

  #warn(reason: string): void {
    if (this.#warnings.length < MAX_WARNINGS) {
      this.#warnings.push(`OUTPUT: line ignored (stdout line ${this.#lineNo}): ${reason}`)
    } else if (this.#warnings.length === MAX_WARNINGS) {
      this.#warnings.push('further ignored OUTPUT: lines are not reported')
    }
  }
}

export function createOutputCollector(): OutputCollector {
  return new StdoutOutputCollector()
}
