import {
  COMPARE_OPS,
  type BinaryOp,
  type CallArgs,
  type CompareOp,
  type Expr,
  type NamedArg,
  type Pos,
} from './ast.ts'
import { describeToken, type Lexed, type LineIndex, type Token } from './lexer.ts'
import { TemplateError } from './template-error.ts'

/**
 * The expression grammar (docs/templates.md), by recursive descent from the loosest operator to
 * the tightest: inline if, or, and, not, in, is, comparisons, filters, `~`, `+ -`, `* / // %`,
 * `**`, unary signs, then lookups and calls. Statements (parse.ts) build on this class.
 *
 * Filters follow Tera: a filter applies to the whole `~`/arithmetic chain on its left
 * (`1 + a | length` is `(1 + a) | length`), and the chain may go on after it
 * (`a | length + 1`).
 */

/** Binary operators of the `~`/arithmetic chain, with their binding strength. */
const BINARY: ReadonlyMap<string, readonly [BinaryOp, number]> = new Map([
  ['~', ['~', 1]],
  ['+', ['+', 2]],
  ['-', ['-', 2]],
  ['*', ['*', 3]],
  ['/', ['/', 3]],
  ['//', ['//', 3]],
  ['%', ['%', 3]],
  ['**', ['**', 4]],
])

const LITERAL_WORDS: ReadonlyMap<string, boolean | null> = new Map([
  ['true', true],
  ['false', false],
  ['True', true],
  ['False', false],
  ['none', null],
  ['null', null],
])

export const NO_ARGS: CallArgs = { positional: [], named: [] }

function compareOp(t: Token): CompareOp | undefined {
  return t.kind === 'punct' ? COMPARE_OPS.find((op) => op === t.text) : undefined
}

export class ExprParser {
  readonly #tokens: ReadonlyArray<Token>
  readonly #lines: LineIndex
  #index = 0

  constructor(lexed: Lexed) {
    this.#tokens = lexed.tokens
    this.#lines = lexed.lines
  }

  /** The token `ahead` places on; a lexical error is thrown when the parser reaches it. */
  protected peek(ahead = 0): Token {
    const tokens = this.#tokens
    const t = tokens[Math.min(this.#index + ahead, tokens.length - 1)]
    if (t === undefined) throw new TemplateError('empty token stream')
    if (t.error !== undefined) throw t.error
    return t
  }

  protected next(): Token {
    const t = this.peek()
    this.#index++
    return t
  }

  protected pos(t: Token): Pos {
    return this.#lines.pos(t.start)
  }

  protected fail(t: Token, reason: string): never {
    throw new TemplateError(reason, { pos: this.pos(t) })
  }

  /** Fails on `t`, which is not what the grammar wanted there. */
  protected unexpected(t: Token, wanted: string): never {
    if (t.kind === 'end') this.fail(t, 'unexpected end of template')
    return this.fail(t, `expected ${wanted}, got ${describeToken(t)}`)
  }

  protected isPunct(t: Token, text: string): boolean {
    return t.kind === 'punct' && t.text === text
  }

  protected isWord(t: Token, word: string): boolean {
    return t.kind === 'name' && t.text === word
  }

  protected expectPunct(text: string, wanted: string): Token {
    const t = this.next()
    if (!this.isPunct(t, text)) this.unexpected(t, wanted)
    return t
  }

  /** A whole expression: `x if c else y` is the loosest form. */
  expression(): Expr {
    const node = this.#or()
    if (!this.isWord(this.peek(), 'if')) return node
    this.next()
    const cond = this.#or()
    let otherwise: Expr | null = null
    if (this.isWord(this.peek(), 'else')) {
      this.next()
      otherwise = this.#or()
    }
    return { kind: 'ifExpr', cond, then: node, otherwise, pos: node.pos }
  }

  #or(): Expr {
    let left = this.#and()
    while (this.isWord(this.peek(), 'or')) {
      this.next()
      left = { kind: 'logic', op: 'or', left, right: this.#and(), pos: left.pos }
    }
    return left
  }

  #and(): Expr {
    let left = this.#not()
    while (this.isWord(this.peek(), 'and')) {
      this.next()
      left = { kind: 'logic', op: 'and', left, right: this.#not(), pos: left.pos }
    }
    return left
  }

  #not(): Expr {
    const t = this.peek()
    if (!this.isWord(t, 'not')) return this.#membership()
    this.next()
    return { kind: 'not', operand: this.#not(), pos: this.pos(t) }
  }

  /** `a in b`, `a not in b`. */
  #membership(): Expr {
    let node = this.#test()
    for (;;) {
      const negated = this.isWord(this.peek(), 'not') && this.isWord(this.peek(1), 'in')
      if (!negated && !this.isWord(this.peek(), 'in')) return node
      if (negated) this.next()
      this.next()
      const pos = node.pos
      const test: Expr = { kind: 'binary', op: 'in', left: node, right: this.#test(), pos }
      node = negated ? { kind: 'not', operand: test, pos } : test
    }
  }

  /** `x is name`, `x is not name(arg, …)`: tests take positional arguments only. */
  #test(): Expr {
    const subject = this.#compare()
    if (!this.isWord(this.peek(), 'is')) return subject
    this.next()
    const negated = this.isWord(this.peek(), 'not')
    if (negated) this.next()
    const nameTok = this.next()
    if (nameTok.kind !== 'name') this.fail(nameTok, "expected a test name after 'is'")
    const name = nameTok.text === 'null' ? 'none' : nameTok.text
    let args: ReadonlyArray<Expr> = []
    if (this.isPunct(this.peek(), '(')) {
      const call = this.callArgs()
      if (call.named.length > 0)
        this.fail(nameTok, `test '${name}' takes positional arguments only`)
      args = call.positional
    }
    const pos = subject.pos
    const test: Expr = { kind: 'test', name, subject, args, pos }
    return negated ? { kind: 'not', operand: test, pos } : test
  }

  /** `a < b`, chained as in Python: `a < b < c`. */
  #compare(): Expr {
    const first = this.#filtered()
    const rest: Array<{ op: CompareOp; operand: Expr }> = []
    let pos: Pos | null = null
    for (;;) {
      const t = this.peek()
      const op = compareOp(t)
      if (op === undefined) break
      this.next()
      pos ??= this.pos(t)
      rest.push({ op, operand: this.#filtered() })
    }
    return pos === null ? first : { kind: 'compare', first, rest, pos }
  }

  /** A `~`/arithmetic chain with filters, each applying to everything on its left. */
  #filtered(): Expr {
    let node = this.#chain(0, null)
    while (this.isPunct(this.peek(), '|')) {
      node = this.#filter(node)
      const t = this.peek()
      if (t.kind === 'punct' && BINARY.has(t.text)) node = this.#chain(0, node)
    }
    return node
  }

  #filter(subject: Expr): Expr {
    this.next()
    const nameTok = this.next()
    if (nameTok.kind !== 'name') this.unexpected(nameTok, "a filter name after '|'")
    const args = this.isPunct(this.peek(), '(') ? this.callArgs() : NO_ARGS
    return { kind: 'filter', name: nameTok.text, subject, args, pos: this.pos(nameTok) }
  }

  /** Precedence climbing over BINARY, all left-associative; `left` continues a chain. */
  #chain(minStrength: number, left: Expr | null): Expr {
    let node = left ?? this.#unary()
    for (;;) {
      const t = this.peek()
      const op = t.kind === 'punct' ? BINARY.get(t.text) : undefined
      if (op === undefined || op[1] < minStrength) return node
      this.next()
      const right = this.#chain(op[1] + 1, null)
      node = { kind: 'binary', op: op[0], left: node, right, pos: node.pos }
    }
  }

  #unary(): Expr {
    const t = this.peek()
    if (this.isPunct(t, '-') || this.isPunct(t, '+')) {
      this.next()
      return {
        kind: 'unary',
        op: t.text === '-' ? '-' : '+',
        operand: this.#unary(),
        pos: this.pos(t),
      }
    }
    return this.#postfix(this.#primary())
  }

  /** `a.b`, `a.0`, `a[expr]` and `name(args)`. */
  #postfix(target: Expr): Expr {
    let node = target
    for (;;) {
      const t = this.peek()
      if (this.isPunct(t, '.')) {
        this.next()
        const seg = this.next()
        if (seg.kind !== 'name' && seg.kind !== 'number') {
          this.unexpected(seg, "a name or an index after '.'")
        }
        const value = seg.kind === 'number' ? Number(seg.text) : seg.text
        const key: Expr = { kind: 'literal', value, pos: this.pos(seg) }
        node = { kind: 'lookup', target: node, key, pos: this.pos(t) }
      } else if (this.isPunct(t, '[')) {
        this.next()
        const key = this.expression()
        this.expectPunct(']', "']'")
        node = { kind: 'lookup', target: node, key, pos: this.pos(t) }
      } else if (this.isPunct(t, '(')) {
        if (node.kind !== 'name') {
          throw new TemplateError(
            'only functions and macros can be called (methods are not supported)',
            { pos: node.pos },
          )
        }
        node = { kind: 'call', name: node.name, args: this.callArgs(), pos: node.pos }
      } else {
        return node
      }
    }
  }

  #primary(): Expr {
    const t = this.next()
    const pos = this.pos(t)
    if (t.kind === 'string') return { kind: 'literal', value: t.text, pos }
    if (t.kind === 'number') return { kind: 'literal', value: Number(t.text), pos }
    if (t.kind === 'name') {
      const literal = LITERAL_WORDS.get(t.text)
      if (literal !== undefined) return { kind: 'literal', value: literal, pos }
      return { kind: 'name', name: t.text, pos }
    }
    if (this.isPunct(t, '(')) return this.#group(t)
    if (this.isPunct(t, '[')) return this.#array(pos)
    if (this.isPunct(t, '{')) return this.#dict(pos)
    return this.unexpected(t, 'an expression')
  }

  #group(open: Token): Expr {
    const tuple = (): never => this.fail(open, 'tuples are not supported; use [a, b]')
    if (this.isPunct(this.peek(), ')')) tuple()
    const inner = this.expression()
    if (this.isPunct(this.peek(), ',')) tuple()
    this.expectPunct(')', "')'")
    return inner
  }

  #array(pos: Pos): Expr {
    const items: Expr[] = []
    this.#list(']', () => items.push(this.expression()))
    return { kind: 'array', items, pos }
  }

  #dict(pos: Pos): Expr {
    const entries: Array<{ key: string; value: Expr }> = []
    this.#list('}', () => {
      const k = this.next()
      if (k.kind !== 'name' && k.kind !== 'string' && k.kind !== 'number') {
        this.fail(k, 'map keys must be names or literals')
      }
      this.expectPunct(':', "':' after a map key")
      const key = k.kind === 'number' ? String(Number(k.text)) : k.text
      entries.push({ key, value: this.expression() })
    })
    return { kind: 'dict', entries, pos }
  }

  /** Comma-separated items up to `close` (consumed); a trailing comma is allowed. */
  #list(close: string, item: () => void): void {
    let first = true
    while (!this.isPunct(this.peek(), close)) {
      if (!first) {
        this.expectPunct(',', `',' or '${close}'`)
        if (this.isPunct(this.peek(), close)) break
      }
      item()
      first = false
    }
    this.next()
  }

  /** `(a, name=b, …)`: positional and named arguments, in any order. */
  protected callArgs(): CallArgs {
    this.next()
    const positional: Expr[] = []
    const named: NamedArg[] = []
    this.#list(')', () => {
      const t = this.peek()
      if (t.kind === 'name' && this.isPunct(this.peek(1), '=')) {
        this.next()
        this.next()
        named.push({ name: t.text, value: this.expression(), pos: this.pos(t) })
      } else {
        positional.push(this.expression())
      }
    })
    return { positional, named }
  }
}
