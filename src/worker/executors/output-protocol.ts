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
  if (!line.startsWith(OUTPUT_PREFIX)) return { kind: 'none' }
  const skip = line.charAt(OUTPUT_PREFIX.length) === ' ' ? 1 : 0
  const json = line.slice(OUTPUT_PREFIX.length + skip)
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
export function createOutputCollector(): OutputCollector {
  let lineNo = 0
  let atLineStart = true
  let parts: string[] | null = null
  let partsLength = 0
  let oversized = false
  let found = false
  let value: unknown = undefined
  const warnings: string[] = []

  function warn(reason: string): void {
    if (warnings.length < MAX_WARNINGS) {
      warnings.push(`OUTPUT: line ignored (stdout line ${lineNo}): ${reason}`)
    } else if (warnings.length === MAX_WARNINGS) {
      warnings.push('further ignored OUTPUT: lines are not reported')
    }
  }

  function finishLine(): void {
    if (parts === null) return
    const result = oversized
      ? ({ kind: 'invalid', reason: 'over the 1 MiB limit' } as const)
      : parseOutputLine(parts.join(''))
    parts = null
    if (result.kind === 'value') {
      found = true
      value = result.value
    } else if (result.kind === 'invalid') {
      warn(result.reason)
    }
  }

  return {
    observe(piece, endsLine) {
      if (atLineStart) {
        lineNo += 1
        parts = piece.startsWith(OUTPUT_PREFIX) ? [] : null
        partsLength = 0
        oversized = false
      }
      if (parts !== null && !oversized) {
        partsLength += piece.length
        // A UTF-16 length over the limit plus the prefix is already too many UTF-8 bytes.
        if (partsLength > MAX_OUTPUT_BYTES + OUTPUT_PREFIX.length + 1) oversized = true
        else parts.push(piece)
      }
      atLineStart = endsLine
      if (endsLine) finishLine()
    },
    get found() {
      return found
    },
    get value() {
      return value
    },
    get warnings() {
      return warnings
    },
  }
}
