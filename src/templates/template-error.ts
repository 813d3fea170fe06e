import type { Pos } from './ast.ts'

/**
 * A template failed to parse or render. `reason` is the bare explanation; `message` prefixes it
 * with the position inside the template when known, in the form WORKSPACE-FORMAT.md §10.1 uses.
 */
export class TemplateError extends Error {
  readonly reason: string
  readonly line: number | null
  readonly column: number | null
  /** The undefined variable path (`build_greeting.output.greting`), when that is the cause. */
  readonly variable: string | null

  constructor(
    reason: string,
    opts: { pos?: Pos | null; variable?: string | null; cause?: unknown; message?: string } = {},
  ) {
    const pos = opts.pos ?? null
    const message =
      opts.message ??
      (pos === null ? reason : `template line ${pos.line}, column ${pos.column}: ${reason}`)
    super(message, { cause: opts.cause })
    this.name = 'TemplateError'
    this.reason = reason
    this.line = pos?.line ?? null
    this.column = pos?.column ?? null
    this.variable = opts.variable ?? null
  }

  /** The same error placed at `pos`, unless it already carries a position. */
  at(pos: Pos): TemplateError {
    if (this.line !== null) return this
    return new TemplateError(this.reason, { pos, variable: this.variable, cause: this.cause })
  }
}

/** The error for reading a variable path that does not exist (null is defined; undefined is not). */
export function undefinedVariable(path: string, pos: Pos): TemplateError {
  return new TemplateError(`variable '${path}' is not defined`, { pos, variable: path })
}
