import { assertNever, coerceError } from '../shared/errors.ts'
import {
  describePath,
  isPath,
  type CallArgs,
  type CompareOp,
  type Expr,
  type Pos,
  type Stmt,
} from './ast.ts'
import { DEFAULT_FILTERS, FILTERS, FUNCTION_SPECS, TEST_SPECS } from './builtins.ts'
import { Args, type RuntimeOptions } from './registry.ts'
import { MacroValue, type Scope } from './scope.ts'
import { TemplateError, undefinedVariable } from './template-error.ts'
import { display, isMap, isTruthy, member, teraEquals, typeName } from './values.ts'

/**
 * Expression semantics of Tera (§8.6): only undefined fails (null is a value), `and`/`or`/`not`
 * yield booleans using Tera truthiness, equality is type-strict and structural, arithmetic needs
 * numbers. An undefined path is false in a boolean position and feeds `default`/`is defined`.
 */

type Of<K extends Expr['kind']> = Extract<Expr, { kind: K }>

/** Re-throws anything raised by a builtin as a TemplateError placed at `pos`. */
export function placed(e: unknown, pos: Pos, owner: string): TemplateError {
  const err = coerceError(e)
  if (err instanceof TemplateError) return err.at(pos)
  return new TemplateError(`${owner}: ${err.message}`, { pos, cause: err })
}

export abstract class ExprEvaluator {
  protected readonly runtime: RuntimeOptions

  constructor(runtime: RuntimeOptions) {
    this.runtime = runtime
  }

  protected abstract renderBody(body: ReadonlyArray<Stmt>, scope: Scope): string
  protected abstract callMacro(m: MacroValue, e: Of<'call'>, scope: Scope): string

  eval(e: Expr, scope: Scope): unknown {
    switch (e.kind) {
      case 'literal':
        return e.value
      case 'name':
      case 'lookup':
        return this.path(e, scope, false)
      case 'array':
        return e.items.map((i) => this.eval(i, scope))
      case 'dict':
        return Object.fromEntries(e.entries.map((en) => [en.key, this.eval(en.value, scope)]))
      case 'filter':
        return this.filter(e, scope)
      case 'call':
        return this.call(e, scope)
      case 'test':
        return this.test(e, scope)
      case 'not':
      case 'logic':
        return this.evalBool(e, scope)
      case 'compare':
        return this.compare(e, scope)
      case 'binary':
        return this.binary(e, scope)
      case 'unary':
        return this.unary(e, scope)
      case 'ifExpr':
        return this.ifExpr(e, scope)
      case 'capture':
        return this.renderBody(e.body, scope)
      default:
        return assertNever(e, 'expression')
    }
  }

  unary(e: Of<'unary'>, scope: Scope): number {
    const v = this.eval(e.operand, scope)
    if (typeof v !== 'number') throw operandError(`unary '${e.op}'`, [v], e.pos)
    return e.op === '-' ? -v : v
  }

  ifExpr(e: Of<'ifExpr'>, scope: Scope): unknown {
    if (this.evalBool(e.cond, scope)) return this.eval(e.then, scope)
    return e.otherwise === null ? null : this.eval(e.otherwise, scope)
  }

  /** Tera truthiness; a missing variable (alone or under filters) is false rather than an error. */
  evalBool(e: Expr, scope: Scope): boolean {
    if (e.kind === 'not') return !this.evalBool(e.operand, scope)
    if (e.kind === 'logic') {
      const left = this.evalBool(e.left, scope)
      if (e.op === 'and') return left && this.evalBool(e.right, scope)
      return left || this.evalBool(e.right, scope)
    }
    if (isPath(e)) return isTruthy(this.path(e, scope, true))
    if (e.kind === 'filter' && this.filteredPathMissing(e, scope)) return false
    return isTruthy(this.eval(e, scope))
  }

  filteredPathMissing(e: Of<'filter'>, scope: Scope): boolean {
    let inner = e
    while (inner.subject.kind === 'filter') inner = inner.subject
    if (DEFAULT_FILTERS.has(inner.name) || !isPath(inner.subject)) return false
    return this.path(inner.subject, scope, true) === undefined
  }

  /** Reads `a.b[c]`; `soft` returns undefined instead of failing when any part is missing. */
  path(e: Expr, scope: Scope, soft: boolean): unknown {
    const keys: Expr[] = []
    let root = e
    while (root.kind === 'lookup') {
      keys.unshift(root.key)
      root = root.target
    }
    let value = root.kind === 'name' ? scope.lookup(root.name) : this.eval(root, scope)
    for (const k of keys) {
      if (value === undefined || value === null) {
        value = undefined
        break
      }
      value = member(value, this.eval(k, scope))
    }
    if (value === undefined && !soft) throw undefinedVariable(describePath(e), root.pos)
    return value
  }

  args(owner: string, names: ReadonlyArray<string>, args: CallArgs, scope: Scope): Args {
    const values = new Map<string, unknown>()
    args.positional.forEach((a, i) => {
      const name = names[i]
      if (name !== undefined) values.set(name, this.eval(a, scope))
    })
    for (const a of args.named) values.set(a.name, this.eval(a.value, scope))
    return new Args(owner, values)
  }

  filter(e: Of<'filter'>, scope: Scope): unknown {
    const owner = `filter '${e.name}'`
    const spec = FILTERS.get(e.name)
    if (spec === undefined) throw new TemplateError(`unknown ${owner}`, { pos: e.pos })
    if (DEFAULT_FILTERS.has(e.name)) {
      // Lazy: the fallback is only evaluated (and may only fail) when it is needed.
      const subject = isPath(e.subject)
        ? this.path(e.subject, scope, true)
        : this.eval(e.subject, scope)
      return subject === undefined ? this.defaultValue(e, scope) : subject
    }
    const subject = this.eval(e.subject, scope)
    const args = this.args(owner, spec.positional ?? spec.params, e.args, scope)
    try {
      return spec.apply(subject, args)
    } catch (err) {
      throw placed(err, e.pos, owner)
    }
  }

  defaultValue(e: Of<'filter'>, scope: Scope): unknown {
    const arg = e.args.named.find((a) => a.name === 'value')?.value ?? e.args.positional[0]
    if (arg === undefined) {
      throw new TemplateError(`filter '${e.name}' needs argument 'value'`, { pos: e.pos })
    }
    return this.eval(arg, scope)
  }

  call(e: Of<'call'>, scope: Scope): unknown {
    const bound = scope.lookup(e.name)
    if (bound instanceof MacroValue) return this.callMacro(bound, e, scope)
    const owner = `function '${e.name}'`
    const spec = FUNCTION_SPECS.get(e.name)
    if (spec === undefined) throw new TemplateError(`'${e.name}' is not a function`, { pos: e.pos })
    const count = e.args.positional.length
    const names = count > 0 && spec.positional ? spec.positional(count) : spec.params
    const args = this.args(owner, names, e.args, scope)
    try {
      return spec.call(args, this.runtime)
    } catch (err) {
      throw placed(err, e.pos, owner)
    }
  }

  test(e: Of<'test'>, scope: Scope): boolean {
    const owner = `test '${e.name}'`
    const spec = TEST_SPECS.get(e.name)
    if (spec === undefined) throw new TemplateError(`unknown ${owner}`, { pos: e.pos })
    const value = isPath(e.subject)
      ? this.path(e.subject, scope, true)
      : this.eval(e.subject, scope)
    const args = e.args.map((a) => this.eval(a, scope))
    try {
      return spec.check(value, args, owner)
    } catch (err) {
      throw placed(err, e.pos, owner)
    }
  }

  compare(e: Of<'compare'>, scope: Scope): boolean {
    let left = this.eval(e.first, scope)
    for (const { op, operand } of e.rest) {
      const right = this.eval(operand, scope)
      if (!compareOnce(op, left, right, e.pos)) return false
      left = right
    }
    return true
  }

  binary(e: Of<'binary'>, scope: Scope): unknown {
    const left = this.eval(e.left, scope)
    const right = this.eval(e.right, scope)
    if (e.op === '~') return display(left) + display(right)
    if (e.op === 'in') return contains(right, left, e.pos)
    if (typeof left !== 'number' || typeof right !== 'number') {
      const hint = e.op === '+' && typeof left === 'string' ? " (use '~' to join strings)" : ''
      throw operandError(`'${e.op}'`, [left, right], e.pos, hint)
    }
    return arithmetic(e.op, left, right, e.pos)
  }
}

function operandError(op: string, values: unknown[], pos: Pos, hint = ''): TemplateError {
  const types = values.map(typeName).join(' and ')
  return new TemplateError(`${op} needs numbers, got ${types}${hint}`, { pos })
}

function compareOnce(op: CompareOp, a: unknown, b: unknown, pos: Pos): boolean {
  if (op === '==' || op === '===') return teraEquals(a, b)
  if (op === '!=' || op === '!==') return !teraEquals(a, b)
  if (typeof a === 'number' && typeof b === 'number') return ordered(op, a, b)
  if (typeof a === 'string' && typeof b === 'string') return ordered(op, a, b)
  throw new TemplateError(`cannot compare ${typeName(a)} with ${typeName(b)} using '${op}'`, {
    pos,
  })
}

function ordered<T extends number | string>(op: CompareOp, a: T, b: T): boolean {
  if (op === '<') return a < b
  if (op === '>') return a > b
  return op === '<=' ? a <= b : a >= b
}

function contains(container: unknown, needle: unknown, pos: Pos): boolean {
  if (Array.isArray(container)) return container.some((item) => teraEquals(item, needle))
  if (typeof container === 'string' && typeof needle === 'string') return container.includes(needle)
  if (isMap(container) && typeof needle === 'string') return Object.hasOwn(container, needle)
  const types = `${typeName(needle)} in ${typeName(container)}`
  throw new TemplateError(`'in' needs a list, a string or a map on its right, got ${types}`, {
    pos,
  })
}

function arithmetic(op: string, a: number, b: number, pos: Pos): number {
  if ((op === '/' || op === '//' || op === '%') && b === 0) {
    throw new TemplateError('division by zero', { pos })
  }
  switch (op) {
    case '+':
      return a + b
    case '-':
      return a - b
    case '*':
      return a * b
    case '/':
      return a / b
    case '//':
      return Math.floor(a / b)
    case '%':
      return a % b
    default:
      return a ** b
  }
}
