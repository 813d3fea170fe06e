/**
 * `STATE: {json}` and `GLOBAL_STATE: {json}` stdout lines (STROEM-REFERENCE.md §2.3): each
 * object is merged over the ones before it, key by key (the last value wins); the result becomes
 * the values of the task's (or workspace's) next snapshot when the step succeeds. Lines cut at the
 * log record limit are joined again; a line that is not a JSON object is ignored with a warning.
 */
import type { ExecLine } from './executors/script-executor.ts'
import { MAX_OUTPUT_BYTES, parsePrefixedLine } from './executors/output-protocol.ts'

const PREFIXES = { task: 'STATE:', global: 'GLOBAL_STATE:' } as const
const MAX_WARNINGS = 20

export type StateLineScope = keyof typeof PREFIXES

export class StateLines {
  readonly values: Record<StateLineScope, Record<string, unknown>> = { task: {}, global: {} }
  /** How many valid lines each scope got (a line may hold an empty object). */
  readonly counts: Record<StateLineScope, number> = { task: 0, global: 0 }
  readonly warnings: string[] = []
  /** Pieces of the current stdout line while it may be a state line. */
  #parts: string[] | null = null
  #length = 0
  #atLineStart = true

  /** Feeds the lines a step printed, in order. */
  observe(lines: ReadonlyArray<ExecLine>): void {
    for (const l of lines) {
      if (l.stream !== 'stdout') continue
      if (this.#atLineStart) {
        this.#parts = l.line.startsWith('STATE:') || l.line.startsWith('GLOBAL_STATE:') ? [] : null
        this.#length = 0
      }
      if (this.#parts !== null) {
        this.#length += l.line.length
        if (this.#length > MAX_OUTPUT_BYTES + 16) {
          this.#warn('a STATE: line over the 1 MiB limit was ignored')
          this.#parts = null
        } else this.#parts.push(l.line)
      }
      this.#atLineStart = !l.continues
      if (this.#atLineStart && this.#parts !== null) this.#finish(this.#parts.join(''))
    }
  }

  #finish(line: string): void {
    this.#parts = null
    for (const scope of ['task', 'global'] as const) {
      const parsed = parsePrefixedLine(line, PREFIXES[scope])
      if (parsed.kind === 'none') continue
      if (parsed.kind === 'invalid')
        return this.#warn(`${PREFIXES[scope]} line ignored: ${parsed.reason}`)
      const v = parsed.value
      if (typeof v !== 'object' || v === null || Array.isArray(v))
        return this.#warn(`${PREFIXES[scope]} line ignored: expected a JSON object`)
      Object.assign(this.values[scope], v)
      this.counts[scope] += 1
      return
    }
  }

  #warn(message: string): void {
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(message)
  }
}
