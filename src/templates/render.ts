import type { Clock } from '../shared/clock.ts'
import { coerceError } from '../shared/errors.ts'
import { analyzeTemplate, type TemplateRef } from './analyze.ts'
import type { Expr, Stmt } from './ast.ts'
import { evaluateExpression, renderBody } from './evaluate.ts'
import { parseTemplate } from './parse.ts'
import type { RuntimeOptions } from './registry.ts'
import { TemplateError } from './template-error.ts'
import { display, isMap } from './values.ts'

/**
 * Tera-compatible templating (WORKSPACE-FORMAT.md §8), entirely Weir's own code: lexer.ts and
 * parse*.ts read the grammar documented in docs/templates.md (Tera, plus the Nunjucks spellings
 * Weir accepts with a non-portable note) into the AST of ast.ts; analyze.ts checks it statically
 * and evaluate*.ts renders it with Tera rules (truthiness, strict `==`, boolean `and`/`or`, named
 * arguments, only undefined failing). Errors carry exact variable paths and positions.
 * Compilation is cached by source, so the hot path (every step claim) parses each template once.
 */

export type { TemplateRef } from './analyze.ts'
export { TemplateError } from './template-error.ts'

export type TemplateCheck =
  | {
      readonly ok: true
      readonly refs: ReadonlyArray<TemplateRef>
      readonly nonPortable: ReadonlyArray<string>
    }
  | { readonly ok: false; readonly message: string; readonly line: number; readonly column: number }

/** What templates may read from outside: only these, so rendering stays a pure function. */
export interface TemplateOptions {
  /** Variables `get_env()` can see (process.env is read only by config). Default: none. */
  readonly env?: Readonly<Record<string, string | undefined>>
  /**
   * Clock behind `now()`, given by the caller (rendering never reads the system clock itself).
   * Without options there is none, and `now()` fails the render.
   */
  readonly clock: Pick<Clock, 'now'>
  /** Uniform random numbers in [0, 1) behind `get_random()`. Default: Math.random. */
  readonly random?: () => number
}

type Compiled =
  | {
      readonly ok: true
      readonly body: ReadonlyArray<Stmt>
      readonly refs: ReadonlyArray<TemplateRef>
      readonly nonPortable: ReadonlyArray<string>
    }
  | { readonly ok: false; readonly error: TemplateError }

/** Compiled templates by source. Pure memoisation: an entry depends only on its key. */
const CACHE_LIMIT = 2000
const cache = new Map<string, Compiled>()

function compile(src: string): Compiled {
  const hit = cache.get(src)
  if (hit !== undefined) {
    cache.delete(src)
    cache.set(src, hit)
    return hit
  }
  const compiled = compileUncached(src)
  cache.set(src, compiled)
  if (cache.size > CACHE_LIMIT) {
    const oldest = cache.keys().next()
    if (oldest.done !== true) cache.delete(oldest.value)
  }
  return compiled
}

function compileUncached(src: string): Compiled {
  try {
    const parsed = parseTemplate(src)
    const analysis = analyzeTemplate(parsed.body, parsed.notes)
    // Frozen: cached results are shared by every caller.
    const refs = Object.freeze(
      analysis.refs.map((r) => Object.freeze({ ...r, path: Object.freeze([...r.path]) })),
    )
    return {
      ok: true,
      body: parsed.body,
      refs,
      nonPortable: Object.freeze([...analysis.nonPortable]),
    }
  } catch (e) {
    const err = coerceError(e)
    const error =
      err instanceof TemplateError
        ? err
        : new TemplateError(`invalid template: ${err.message}`, { cause: err })
    return { ok: false, error }
  }
}

function noClock(): never {
  throw new TemplateError("function 'now': no clock was given to this render")
}

function runtimeOf(options: TemplateOptions | undefined): RuntimeOptions {
  const clock = options?.clock
  return {
    env: options?.env ?? {},
    now: clock === undefined ? noClock : () => clock.now(),
    random: options?.random ?? Math.random,
  }
}

function compiledOrThrow(src: string): Extract<Compiled, { ok: true }> {
  const compiled = compile(src)
  if (!compiled.ok) throw compiled.error
  return compiled
}

function asTemplateError(e: unknown): TemplateError {
  const err = coerceError(e)
  if (err instanceof TemplateError) return err
  return new TemplateError(`template failed: ${err.message}`, { cause: err })
}

/** Whether `s` contains template syntax at all (`{{`, `{%` or `{#`). */
export function isTemplate(s: string): boolean {
  return s.includes('{{') || s.includes('{%') || s.includes('{#')
}

/** Parses without rendering: free variables, portability notes, or the first syntax error. */
export function checkTemplate(src: string): TemplateCheck {
  if (!isTemplate(src)) return { ok: true, refs: [], nonPortable: [] }
  const compiled = compile(src)
  if (compiled.ok) return { ok: true, refs: compiled.refs, nonPortable: compiled.nonPortable }
  const { error } = compiled
  return { ok: false, message: error.reason, line: error.line ?? 1, column: error.column ?? 1 }
}

/** Renders `src` with Tera semantics; throws TemplateError naming the variable and position. */
export function renderTemplate(
  src: string,
  ctx: Readonly<Record<string, unknown>>,
  options?: TemplateOptions,
): string {
  if (!isTemplate(src)) return src
  const { body } = compiledOrThrow(src)
  try {
    return renderBody(body, ctx, runtimeOf(options))
  } catch (e) {
    throw asTemplateError(e)
  }
}

/** Exactly one variable path, `{{ a.b.c }}` (§8.4): such inputs keep list/map structure. */
const SINGLE_PATH = /^\{\{\s*[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*\s*\}\}$/

function singleExpression(body: ReadonlyArray<Stmt>): Expr | null {
  const [only] = body
  return body.length === 1 && only?.kind === 'output' ? only.expr : null
}

/**
 * Step-input typing (§8.4): non-strings pass through untouched (nested strings are not
 * templated); `"{{ a.b }}"` resolving to a list or map returns it; other strings render to text.
 */
export function renderValue(
  value: unknown,
  ctx: Readonly<Record<string, unknown>>,
  options?: TemplateOptions,
): unknown {
  if (typeof value !== 'string') return value
  if (!SINGLE_PATH.test(value)) return renderTemplate(value, ctx, options)
  const expr = singleExpression(compiledOrThrow(value).body)
  if (expr === null) return renderTemplate(value, ctx, options)
  let result: unknown
  try {
    result = evaluateExpression(expr, ctx, runtimeOf(options))
  } catch (e) {
    throw asTemplateError(e)
  }
  return Array.isArray(result) || isMap(result) ? result : display(result)
}

export interface RenderRecordOptions extends TemplateOptions {
  /** Prepended to each key in error messages, e.g. `input.` → "input.text: …". */
  readonly keyPrefix?: string
}

/** renderValue over every entry; all failures are reported together in one TemplateError. */
export function renderRecord(
  values: Readonly<Record<string, unknown>>,
  ctx: Readonly<Record<string, unknown>>,
  options?: RenderRecordOptions,
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const failures: Array<{ key: string; error: TemplateError }> = []
  for (const [key, value] of Object.entries(values)) {
    try {
      out[key] = renderValue(value, ctx, options)
    } catch (e) {
      failures.push({ key: `${options?.keyPrefix ?? ''}${key}`, error: asTemplateError(e) })
    }
  }
  const [first] = failures
  if (first === undefined) return out
  const message = failures.map((f) => `${f.key}: ${f.error.message}`).join('; ')
  const pos =
    first.error.line === null ? null : { line: first.error.line, column: first.error.column ?? 1 }
  throw new TemplateError(message, { message, pos, variable: first.error.variable })
}

const FALSE_WORDS = new Set(['', 'false', '0', 'null', 'none'])

/** A step's `when` (§5.4): false when the rendered text is empty, false, 0, null or none. */
export function evaluateCondition(
  src: string,
  ctx: Readonly<Record<string, unknown>>,
  options?: TemplateOptions,
): boolean {
  return !FALSE_WORDS.has(renderTemplate(src, ctx, options).trim().toLowerCase())
}
