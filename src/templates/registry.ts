import { TemplateError } from './template-error.ts'
import { isMap, typeName, type TemplateMap } from './values.ts'

/**
 * Shapes of the built-in filters, tests and functions (WORKSPACE-FORMAT.md §8.5). Tera passes
 * arguments by name, so each builtin lists its parameter names; positional arguments (a Nunjucks
 * habit) are mapped onto that order and reported as non-portable by the analyser.
 */

/** What functions may read from outside the template; injected so rendering stays pure. */
export interface RuntimeOptions {
  readonly env: Readonly<Record<string, string | undefined>>
  readonly now: () => Date
  readonly random: () => number
}

export class Args {
  /** e.g. `filter 'truncate'`, used to start error messages. */
  readonly owner: string
  readonly #values: ReadonlyMap<string, unknown>

  constructor(owner: string, values: ReadonlyMap<string, unknown>) {
    this.owner = owner
    this.#values = values
  }

  has(name: string): boolean {
    return this.#values.has(name)
  }

  get(name: string): unknown {
    return this.#values.get(name)
  }

  required(name: string): unknown {
    if (!this.#values.has(name)) throw new TemplateError(`${this.owner} needs argument '${name}'`)
    return this.#values.get(name)
  }

  string(name: string, fallback?: string): string {
    const v = this.#pick(name, fallback)
    if (typeof v !== 'string') throw this.#wrongType(name, 'a string', v)
    return v
  }

  number(name: string, fallback?: number): number {
    const v = this.#pick(name, fallback)
    if (typeof v !== 'number') throw this.#wrongType(name, 'a number', v)
    return v
  }

  integer(name: string, fallback?: number): number {
    const v = this.number(name, fallback)
    if (!Number.isInteger(v)) throw this.#wrongType(name, 'an integer', v)
    return v
  }

  boolean(name: string, fallback?: boolean): boolean {
    const v = this.#pick(name, fallback)
    if (typeof v !== 'boolean') throw this.#wrongType(name, 'a boolean', v)
    return v
  }

  #pick(name: string, fallback: unknown): unknown {
    if (this.#values.has(name)) return this.#values.get(name)
    if (fallback === undefined) return this.required(name)
    return fallback
  }

  #wrongType(name: string, expected: string, got: unknown): TemplateError {
    return new TemplateError(
      `${this.owner}: argument '${name}' must be ${expected}, got ${typeName(got)}`,
    )
  }
}

export interface FilterSpec {
  readonly params: ReadonlyArray<string>
  /** Order positional arguments map onto, when it differs from `params` (Nunjucks' `round`). */
  readonly positional?: ReadonlyArray<string>
  /** false: Nunjucks-only, reported as non-portable. */
  readonly portable: boolean
  /** `value` is never undefined: undefined subjects fail before the call (except `default`). */
  readonly apply: (value: unknown, args: Args) => unknown
}

export interface TestSpec {
  /** Number of positional arguments the test takes. */
  readonly arity: number
  readonly portable: boolean
  /** `value` is undefined when the tested variable does not exist. */
  readonly check: (value: unknown, args: ReadonlyArray<unknown>, owner: string) => boolean
}

export interface FunctionSpec {
  readonly params: ReadonlyArray<string>
  /** Names for `count` positional arguments, when they differ from `params` (Nunjucks' `range`). */
  readonly positional?: (count: number) => ReadonlyArray<string>
  readonly portable: boolean
  readonly call: (args: Args, runtime: RuntimeOptions) => unknown
}

/** The value as a string, or a TemplateError naming `owner`. */
export function expectString(v: unknown, owner: string): string {
  if (typeof v !== 'string')
    throw new TemplateError(`${owner} expects a string, got ${typeName(v)}`)
  return v
}

/** The value as a number, or a TemplateError naming `owner`. */
export function expectNumber(v: unknown, owner: string): number {
  if (typeof v !== 'number')
    throw new TemplateError(`${owner} expects a number, got ${typeName(v)}`)
  return v
}

/** The value as a list, or a TemplateError naming `owner`. */
export function expectList(v: unknown, owner: string): ReadonlyArray<unknown> {
  if (!Array.isArray(v)) throw new TemplateError(`${owner} expects a list, got ${typeName(v)}`)
  return v
}

/** The value as a map, or a TemplateError naming `owner`. */
export function expectMap(v: unknown, owner: string): TemplateMap {
  if (!isMap(v)) throw new TemplateError(`${owner} expects a map, got ${typeName(v)}`)
  return v
}
