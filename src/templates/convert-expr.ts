import {
  COMPARE_OPS,
  type BinaryOp,
  type CallArgs,
  type Expr,
  type NamedArg,
  type Pos,
  type Stmt,
} from './ast.ts'
import { TemplateError } from './template-error.ts'

/** Conversion of Nunjucks expression nodes; statements live in convert.ts. */

/** A Nunjucks parser node: untyped upstream, so every field is read defensively. */
export interface NjNode {
  readonly typename: string
  readonly lineno: number
  readonly colno: number
  readonly [field: string]: unknown
}

export type PosFn = (line0: number, col0: number) => Pos

const BINARY: ReadonlyMap<string, BinaryOp> = new Map([
  ['Add', '+'],
  ['Sub', '-'],
  ['Mul', '*'],
  ['Div', '/'],
  ['FloorDiv', '//'],
  ['Mod', '%'],
  ['Pow', '**'],
  ['Concat', '~'],
  ['In', 'in'],
])

/** Nunjucks statements Weir rejects: node type -> the tag the user wrote. */
const UNSUPPORTED_TAGS: ReadonlyMap<string, string> = new Map([
  ['IfAsync', 'ifAsync'],
  ['AsyncEach', 'asyncEach'],
  ['AsyncAll', 'asyncAll'],
  ['Include', 'include'],
  ['Extends', 'extends'],
  ['Import', 'import'],
  ['FromImport', 'from'],
  ['Block', 'block'],
  ['Switch', 'switch'],
  ['Caller', 'call'],
])

/** Whether `v` is a Nunjucks parser node. */
export function isNode(v: unknown): v is NjNode {
  return typeof v === 'object' && v !== null && typeof Reflect.get(v, 'typename') === 'string'
}

export abstract class ExprConverter {
  readonly #pos: PosFn

  constructor(pos: PosFn) {
    this.#pos = pos
  }

  abstract stmts(list: NjNode | null): Stmt[]

  at(n: NjNode): Pos {
    return this.#pos(n.lineno, n.colno)
  }

  fail(n: NjNode, reason: string): never {
    throw new TemplateError(reason, { pos: this.at(n) })
  }

  field(n: NjNode, name: string): NjNode {
    const v = n[name]
    if (!isNode(v)) this.fail(n, `malformed template near '${n.typename}'`)
    return v
  }

  optField(n: NjNode, name: string): NjNode | null {
    const v = n[name]
    return isNode(v) ? v : null
  }

  children(n: NjNode, name = 'children'): NjNode[] {
    const v = n[name]
    return Array.isArray(v) ? v.filter(isNode) : []
  }

  unsupported(n: NjNode): never {
    const tag = UNSUPPORTED_TAGS.get(n.typename)
    if (tag !== undefined) this.fail(n, `tag '{% ${tag} %}' is not supported in Weir templates`)
    if (n.typename === 'Super') this.fail(n, "'super()' is not supported in Weir templates")
    return this.fail(n, `unsupported template construct '${n.typename}'`)
  }

  symbolName(n: NjNode, what: string): string {
    if (n.typename !== 'Symbol') this.fail(n, `${what} must be a plain name`)
    return String(n['value'])
  }

  expr(n: NjNode): Expr {
    const pos = this.at(n)
    const op = BINARY.get(n.typename)
    if (op !== undefined) {
      const left = this.expr(this.field(n, 'left'))
      return { kind: 'binary', op, left, right: this.expr(this.field(n, 'right')), pos }
    }
    switch (n.typename) {
      case 'Literal':
        return this.literal(n, pos)
      case 'Symbol':
        return { kind: 'name', name: String(n['value']), pos }
      case 'LookupVal': {
        const target = this.expr(this.field(n, 'target'))
        return { kind: 'lookup', target, key: this.expr(this.field(n, 'val')), pos }
      }
      case 'Group':
        return this.group(n)
      case 'Array':
        return { kind: 'array', items: this.children(n).map((c) => this.expr(c)), pos }
      case 'Dict':
        return this.dict(n, pos)
      default:
        return this.exprMore(n, pos)
    }
  }

  exprMore(n: NjNode, pos: Pos): Expr {
    switch (n.typename) {
      case 'Filter':
        return this.filter(n, pos)
      case 'FunCall':
        return this.call(n)
      case 'Is':
        return this.test(n, pos)
      case 'Not':
        return { kind: 'not', operand: this.expr(this.field(n, 'target')), pos }
      case 'And':
      case 'Or': {
        const left = this.expr(this.field(n, 'left'))
        const right = this.expr(this.field(n, 'right'))
        return { kind: 'logic', op: n.typename === 'And' ? 'and' : 'or', left, right, pos }
      }
      case 'Compare':
        return this.compare(n, pos)
      case 'Neg':
      case 'Pos': {
        const operand = this.expr(this.field(n, 'target'))
        return { kind: 'unary', op: n.typename === 'Neg' ? '-' : '+', operand, pos }
      }
      case 'InlineIf':
        return this.inlineIf(n, pos)
      case 'Capture':
        return { kind: 'capture', body: this.stmts(this.optField(n, 'body')), pos }
      default:
        return this.unsupported(n)
    }
  }

  literal(n: NjNode, pos: Pos): Expr {
    const v = n['value']
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      return { kind: 'literal', value: v, pos }
    }
    return this.fail(n, 'regular expression literals are not supported in Weir templates')
  }

  group(n: NjNode): Expr {
    const items = this.children(n)
    const only = items[0]
    if (items.length !== 1 || only === undefined)
      this.fail(n, 'tuples are not supported; use [a, b]')
    return this.expr(only)
  }

  dict(n: NjNode, pos: Pos): Expr {
    const entries = this.children(n).map((pair) => {
      const keyNode = this.field(pair, 'key')
      const raw = keyNode['value']
      if (keyNode.typename !== 'Symbol' && keyNode.typename !== 'Literal') {
        this.fail(keyNode, 'map keys must be names or literals')
      }
      return { key: String(raw), value: this.expr(this.field(pair, 'value')) }
    })
    return { kind: 'dict', entries, pos }
  }

  args(list: ReadonlyArray<NjNode>): CallArgs {
    const positional: Expr[] = []
    const named: NamedArg[] = []
    for (const a of list) {
      if (a.typename !== 'KeywordArgs') {
        positional.push(this.expr(a))
        continue
      }
      for (const pair of this.children(a)) {
        const key = this.field(pair, 'key')
        const name = this.symbolName(key, 'argument name')
        named.push({ name, value: this.expr(this.field(pair, 'value')), pos: this.at(key) })
      }
    }
    return { positional, named }
  }

  filter(n: NjNode, pos: Pos): Expr {
    const name = this.symbolName(this.field(n, 'name'), 'filter name')
    const [subjectNode, ...rest] = this.children(this.field(n, 'args'))
    if (subjectNode === undefined) this.fail(n, `filter '${name}' has nothing to filter`)
    return { kind: 'filter', name, subject: this.expr(subjectNode), args: this.args(rest), pos }
  }

  call(n: NjNode): Expr {
    const callee = this.field(n, 'name')
    if (callee.typename !== 'Symbol') {
      this.fail(callee, 'only functions and macros can be called (methods are not supported)')
    }
    const args = this.args(this.children(this.field(n, 'args')))
    return { kind: 'call', name: String(callee['value']), args, pos: this.at(callee) }
  }

  test(n: NjNode, pos: Pos): Expr {
    const subject = this.expr(this.field(n, 'left'))
    const right = this.field(n, 'right')
    if (right.typename === 'Literal' && right['value'] === null) {
      return { kind: 'test', name: 'none', subject, args: [], pos }
    }
    if (right.typename === 'Symbol') {
      return { kind: 'test', name: String(right['value']), subject, args: [], pos }
    }
    if (right.typename === 'FunCall') {
      const name = this.symbolName(this.field(right, 'name'), 'test name')
      const args = this.args(this.children(this.field(right, 'args')))
      if (args.named.length > 0) this.fail(right, `test '${name}' takes positional arguments only`)
      return { kind: 'test', name, subject, args: args.positional, pos }
    }
    return this.fail(right, "expected a test name after 'is'")
  }

  compare(n: NjNode, pos: Pos): Expr {
    const rest = this.children(n, 'ops').map((o) => {
      const op = COMPARE_OPS.find((c) => c === o['type'])
      if (op === undefined) this.fail(o, `unknown operator '${String(o['type'])}'`)
      return { op, operand: this.expr(this.field(o, 'expr')) }
    })
    return { kind: 'compare', first: this.expr(this.field(n, 'expr')), rest, pos }
  }

  inlineIf(n: NjNode, pos: Pos): Expr {
    const otherwise = this.optField(n, 'else_')
    return {
      kind: 'ifExpr',
      cond: this.expr(this.field(n, 'cond')),
      then: this.expr(this.field(n, 'body')),
      otherwise: otherwise === null ? null : this.expr(otherwise),
      pos,
    }
  }
}
