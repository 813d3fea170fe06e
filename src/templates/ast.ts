import { assertNever } from '../shared/errors.ts'

/**
 * The template syntax tree Weir evaluates, built by parse.ts: a closed union, so the analyser
 * and the evaluator can switch exhaustively over it. Positions are 1-based and refer to the
 * template exactly as the user wrote it.
 */

export interface Pos {
  readonly line: number
  readonly column: number
}

export interface NamedArg {
  readonly name: string
  readonly value: Expr
  readonly pos: Pos
}

export interface CallArgs {
  readonly positional: ReadonlyArray<Expr>
  readonly named: ReadonlyArray<NamedArg>
}

export const COMPARE_OPS = ['==', '!=', '===', '!==', '<', '>', '<=', '>='] as const
export type CompareOp = (typeof COMPARE_OPS)[number]

export type BinaryOp = '+' | '-' | '*' | '/' | '//' | '%' | '**' | '~' | 'in'

export type Expr =
  | {
      readonly kind: 'literal'
      readonly value: string | number | boolean | null
      readonly pos: Pos
    }
  | { readonly kind: 'name'; readonly name: string; readonly pos: Pos }
  | { readonly kind: 'lookup'; readonly target: Expr; readonly key: Expr; readonly pos: Pos }
  | { readonly kind: 'array'; readonly items: ReadonlyArray<Expr>; readonly pos: Pos }
  | {
      readonly kind: 'dict'
      readonly entries: ReadonlyArray<{ readonly key: string; readonly value: Expr }>
      readonly pos: Pos
    }
  | {
      readonly kind: 'filter'
      readonly name: string
      readonly subject: Expr
      readonly args: CallArgs
      readonly pos: Pos
    }
  | { readonly kind: 'call'; readonly name: string; readonly args: CallArgs; readonly pos: Pos }
  | {
      readonly kind: 'test'
      readonly name: string
      readonly subject: Expr
      readonly args: ReadonlyArray<Expr>
      readonly pos: Pos
    }
  | { readonly kind: 'not'; readonly operand: Expr; readonly pos: Pos }
  | {
      readonly kind: 'logic'
      readonly op: 'and' | 'or'
      readonly left: Expr
      readonly right: Expr
      readonly pos: Pos
    }
  | {
      readonly kind: 'compare'
      readonly first: Expr
      readonly rest: ReadonlyArray<{ readonly op: CompareOp; readonly operand: Expr }>
      readonly pos: Pos
    }
  | {
      readonly kind: 'binary'
      readonly op: BinaryOp
      readonly left: Expr
      readonly right: Expr
      readonly pos: Pos
    }
  | { readonly kind: 'unary'; readonly op: '-' | '+'; readonly operand: Expr; readonly pos: Pos }
  | {
      readonly kind: 'ifExpr'
      readonly cond: Expr
      readonly then: Expr
      readonly otherwise: Expr | null
      readonly pos: Pos
    }
  | { readonly kind: 'capture'; readonly body: ReadonlyArray<Stmt>; readonly pos: Pos }

export interface MacroParam {
  readonly name: string
  readonly fallback: Expr | null
}

export type Stmt =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'output'; readonly expr: Expr; readonly pos: Pos }
  | {
      readonly kind: 'if'
      readonly cond: Expr
      readonly body: ReadonlyArray<Stmt>
      readonly otherwise: ReadonlyArray<Stmt>
      readonly pos: Pos
    }
  | {
      readonly kind: 'for'
      readonly names: ReadonlyArray<string>
      readonly iterable: Expr
      readonly body: ReadonlyArray<Stmt>
      readonly otherwise: ReadonlyArray<Stmt>
      readonly pos: Pos
    }
  | {
      readonly kind: 'set'
      readonly names: ReadonlyArray<string>
      readonly value: Expr
      readonly pos: Pos
    }
  | {
      readonly kind: 'macro'
      readonly name: string
      readonly params: ReadonlyArray<MacroParam>
      readonly body: ReadonlyArray<Stmt>
      readonly pos: Pos
    }

function argExprs(args: CallArgs): Expr[] {
  return [...args.positional, ...args.named.map((a) => a.value)]
}

/** Direct sub-expressions of `e` (statement bodies of captures are not expressions). */
export function childExprs(e: Expr): ReadonlyArray<Expr> {
  switch (e.kind) {
    case 'literal':
    case 'name':
    case 'capture':
      return []
    case 'lookup':
      return [e.target, e.key]
    case 'array':
      return e.items
    case 'dict':
      return e.entries.map((en) => en.value)
    case 'filter':
      return [e.subject, ...argExprs(e.args)]
    case 'call':
      return argExprs(e.args)
    case 'test':
      return [e.subject, ...e.args]
    case 'not':
    case 'unary':
      return [e.operand]
    case 'logic':
    case 'binary':
      return [e.left, e.right]
    case 'compare':
      return [e.first, ...e.rest.map((r) => r.operand)]
    case 'ifExpr':
      return e.otherwise === null ? [e.cond, e.then] : [e.cond, e.then, e.otherwise]
    default:
      return assertNever(e, 'expression')
  }
}

/** True for `a`, `a.b`, `a[0]`, `a[b].c`: expressions whose value is a context lookup. */
export function isPath(e: Expr): boolean {
  return e.kind === 'name' || (e.kind === 'lookup' && isPath(e.target))
}

/** Source-like text of a path, used to name undefined variables in error messages. */
export function describePath(e: Expr): string {
  if (e.kind === 'name') return e.name
  if (e.kind === 'lookup') return describePath(e.target) + describeKey(e.key)
  if (e.kind === 'literal') return JSON.stringify(e.value)
  return '(…)'
}

function describeKey(key: Expr): string {
  if (key.kind === 'literal') {
    if (typeof key.value === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(key.value)) {
      return `.${key.value}`
    }
    if (typeof key.value === 'number' && Number.isInteger(key.value) && key.value >= 0) {
      return `.${key.value}`
    }
  }
  return `[${describePath(key)}]`
}
