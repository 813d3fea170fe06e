import { assertNever } from '../shared/errors.ts'
import type { Expr, Pos, Stmt } from './ast.ts'
import { ExprEvaluator } from './evaluate-expr.ts'
import type { RuntimeOptions } from './registry.ts'
import { MacroValue, Scope } from './scope.ts'
import { TemplateError } from './template-error.ts'
import { display, isMap, typeName, type TemplateMap } from './values.ts'

/**
 * Renders Weir's template AST. Rendering runs on every step dispatch, so it is bounded: loop
 * iterations and macro nesting have hard limits that fail the render instead of the process.
 */

export const MAX_ITERATIONS = 100_000
export const MAX_MACRO_DEPTH = 64

type Of<K extends Stmt['kind']> = Extract<Stmt, { kind: K }>

class Evaluator extends ExprEvaluator {
  #iterations = 0
  #depth = 0

  protected renderBody(body: ReadonlyArray<Stmt>, scope: Scope): string {
    const out: string[] = []
    this.exec(body, scope, out)
    return out.join('')
  }

  exec(body: ReadonlyArray<Stmt>, scope: Scope, out: string[]): void {
    for (const s of body) this.stmt(s, scope, out)
  }

  stmt(s: Stmt, scope: Scope, out: string[]): void {
    switch (s.kind) {
      case 'text':
        out.push(s.text)
        return
      case 'output':
        out.push(display(this.eval(s.expr, scope)))
        return
      case 'if':
        return this.exec(this.evalBool(s.cond, scope) ? s.body : s.otherwise, scope, out)
      case 'for':
        return this.loop(s, scope, out)
      case 'set': {
        const value = this.eval(s.value, scope)
        for (const n of s.names) scope.set(n, value)
        return
      }
      case 'macro':
        scope.set(s.name, new MacroValue(s, scope))
        return
      default:
        return assertNever(s, 'statement')
    }
  }

  loop(s: Of<'for'>, scope: Scope, out: string[]): void {
    const rows = loopRows(this.eval(s.iterable, scope), s.names.length, s.pos)
    if (rows.length === 0) return this.exec(s.otherwise, scope, out)
    const inner = scope.child()
    const length = rows.length
    rows.forEach((row, i) => {
      if (++this.#iterations > MAX_ITERATIONS) {
        throw new TemplateError(`template exceeds ${MAX_ITERATIONS} loop iterations`, {
          pos: s.pos,
        })
      }
      s.names.forEach((name, j) => inner.set(name, row[j] ?? null))
      inner.set('loop', {
        index: i + 1,
        index0: i,
        first: i === 0,
        last: i === length - 1,
        length,
        revindex: length - i,
        revindex0: length - i - 1,
      })
      this.exec(s.body, inner, out)
    })
  }

  protected callMacro(m: MacroValue, e: Extract<Expr, { kind: 'call' }>, scope: Scope): string {
    const { def } = m
    if (e.args.positional.length > def.params.length) {
      throw new TemplateError(`macro '${def.name}' takes ${def.params.length} argument(s)`, {
        pos: e.pos,
      })
    }
    const inner = m.scope.child()
    def.params.forEach((p, i) => {
      const named = e.args.named.find((a) => a.name === p.name)
      const arg = named?.value ?? e.args.positional[i]
      const source = arg ?? p.fallback
      inner.set(p.name, source === null ? null : this.eval(source, arg ? scope : m.scope))
    })
    const unknown = e.args.named.find((a) => !def.params.some((p) => p.name === a.name))
    if (unknown !== undefined) {
      throw new TemplateError(`macro '${def.name}' has no argument '${unknown.name}'`, {
        pos: unknown.pos,
      })
    }
    if (++this.#depth > MAX_MACRO_DEPTH) {
      throw new TemplateError(`macros nest deeper than ${MAX_MACRO_DEPTH} calls`, { pos: e.pos })
    }
    try {
      return this.renderBody(def.body, inner)
    } finally {
      this.#depth--
    }
  }
}

/** The values bound per iteration: one name walks a list or string; two walk a map or pairs. */
function loopRows(
  iterable: unknown,
  names: number,
  pos: Pos,
): ReadonlyArray<ReadonlyArray<unknown>> {
  if (typeof iterable === 'string') {
    if (names === 1) return Array.from(iterable, (c) => [c])
  } else if (Array.isArray(iterable)) {
    if (names === 1) return iterable.map((v: unknown) => [v])
    const pairs = iterable.filter((v): v is unknown[] => Array.isArray(v))
    if (pairs.length === iterable.length) return pairs
  } else if (isMap(iterable)) {
    if (names === 2) return Object.entries(iterable)
    throw new TemplateError('looping over a map needs two names: {% for key, value in map %}', {
      pos,
    })
  }
  const what = names === 2 ? 'key/value pairs' : 'a list or a string'
  throw new TemplateError(`cannot loop over ${typeName(iterable)}; expected ${what}`, { pos })
}

/** Renders a template body against `ctx`. */
export function renderBody(
  body: ReadonlyArray<Stmt>,
  ctx: TemplateMap,
  runtime: RuntimeOptions,
): string {
  const ev = new Evaluator(runtime)
  const out: string[] = []
  ev.exec(body, new Scope(null, ctx), out)
  return out.join('')
}

/** Evaluates one expression against `ctx` (strictly: undefined variables fail). */
export function evaluateExpression(expr: Expr, ctx: TemplateMap, runtime: RuntimeOptions): unknown {
  return new Evaluator(runtime).eval(expr, new Scope(null, ctx))
}
