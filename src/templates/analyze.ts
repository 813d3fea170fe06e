import { assertNever } from '../shared/errors.ts'
import { childExprs, type CallArgs, type Expr, type Pos, type Stmt } from './ast.ts'
import { FILTERS, FUNCTION_SPECS, TEST_SPECS } from './builtins.ts'
import { TemplateError } from './template-error.ts'

/**
 * Static checks of a parsed template, without rendering: the free variables it reads (for the
 * workspace validator), Nunjucks-only constructs that Strøm would reject (§8.6 #11), and names of
 * filters, tests, functions and arguments that do not exist (thrown as TemplateError).
 */

export interface TemplateRef {
  readonly root: string
  readonly path: ReadonlyArray<string>
  readonly line: number
  readonly column: number
}

export interface Analysis {
  readonly refs: ReadonlyArray<TemplateRef>
  readonly nonPortable: ReadonlyArray<string>
}

class Bindings {
  readonly #names = new Set<string>()
  readonly #parent: Bindings | null

  constructor(parent: Bindings | null, names: Iterable<string> = []) {
    this.#parent = parent
    for (const n of names) this.#names.add(n)
  }

  bind(name: string): void {
    this.#names.add(name)
  }

  has(name: string): boolean {
    return this.#names.has(name) || (this.#parent?.has(name) ?? false)
  }
}

class Analyzer {
  readonly refs: TemplateRef[] = []
  readonly #notes = new Set<string>()

  get nonPortable(): string[] {
    return [...this.#notes]
  }

  note(pos: Pos, what: string): void {
    this.#notes.add(
      `line ${pos.line}, column ${pos.column}: ${what} works in Weir but not in Strøm`,
    )
  }

  stmts(list: ReadonlyArray<Stmt>, scope: Bindings): void {
    for (const s of list) this.stmt(s, scope)
  }

  stmt(s: Stmt, scope: Bindings): void {
    switch (s.kind) {
      case 'text':
        return
      case 'output':
        return this.expr(s.expr, scope)
      case 'if':
        this.expr(s.cond, scope)
        this.stmts(s.body, scope)
        return this.stmts(s.otherwise, scope)
      case 'for':
        this.expr(s.iterable, scope)
        this.stmts(s.body, new Bindings(scope, [...s.names, 'loop']))
        return this.stmts(s.otherwise, scope)
      case 'set':
        this.expr(s.value, scope)
        if (s.value.kind === 'capture') this.note(s.pos, "block '{% set %}…{% endset %}'")
        for (const n of s.names) scope.bind(n)
        return
      case 'macro': {
        this.note(s.pos, "an inline '{% macro %}'")
        scope.bind(s.name)
        for (const p of s.params) if (p.fallback !== null) this.expr(p.fallback, scope)
        return this.stmts(
          s.body,
          new Bindings(
            scope,
            s.params.map((p) => p.name),
          ),
        )
      }
      default:
        return assertNever(s, 'statement')
    }
  }

  expr(e: Expr, scope: Bindings): void {
    switch (e.kind) {
      case 'name':
      case 'lookup':
        return this.path(e, scope)
      case 'capture':
        return this.stmts(e.body, scope)
      case 'filter':
        this.filter(e)
        break
      case 'call':
        this.call(e, scope)
        break
      case 'test':
        this.test(e)
        break
      case 'literal':
      case 'array':
      case 'dict':
      case 'not':
      case 'logic':
      case 'compare':
      case 'binary':
      case 'unary':
      case 'ifExpr':
        this.syntaxNotes(e)
        break
      default:
        return assertNever(e, 'expression')
    }
    for (const c of childExprs(e)) this.expr(c, scope)
  }

  /** Operators and literals that Nunjucks accepts but Tera does not. */
  syntaxNotes(e: Expr): void {
    if (e.kind === 'literal' && e.value === null) this.note(e.pos, "the literal 'none'")
    if (e.kind === 'dict') this.note(e.pos, 'a map literal')
    if (e.kind === 'ifExpr') this.note(e.pos, "an inline 'x if c else y'")
    if (e.kind === 'binary' && (e.op === '**' || e.op === '//')) {
      this.note(e.pos, `the '${e.op}' operator`)
    }
    if (e.kind === 'compare') {
      for (const r of e.rest) if (r.op === '===' || r.op === '!==') this.note(e.pos, `'${r.op}'`)
    }
  }

  /** Records `a.b.c` as root `a` with path [b, c], stopping at the first computed key. */
  path(e: Expr, scope: Bindings): void {
    const keys: Expr[] = []
    let root = e
    while (root.kind === 'lookup') {
      keys.unshift(root.key)
      root = root.target
    }
    if (root.kind === 'name') {
      if (!scope.has(root.name)) this.refs.push(refOf(root.name, keys, root.pos))
    } else {
      this.expr(root, scope)
    }
    for (const k of keys) if (k.kind !== 'literal') this.expr(k, scope)
  }

  filter(e: Extract<Expr, { kind: 'filter' }>): void {
    const spec = FILTERS.get(e.name)
    if (spec === undefined) throw new TemplateError(`unknown filter '${e.name}'`, { pos: e.pos })
    const owner = `filter '${e.name}'`
    if (!spec.portable) this.note(e.pos, owner)
    else if (e.args.positional.length > 0) this.note(e.pos, `positional arguments to ${owner}`)
    checkArgs(owner, spec.params, spec.positional ?? spec.params, e.args, e.pos)
  }

  call(e: Extract<Expr, { kind: 'call' }>, scope: Bindings): void {
    if (!scope.has(e.name)) {
      const spec = FUNCTION_SPECS.get(e.name)
      if (spec === undefined)
        throw new TemplateError(`unknown function '${e.name}'`, { pos: e.pos })
      const owner = `function '${e.name}'`
      const count = e.args.positional.length
      if (count > 0) this.note(e.pos, `positional arguments to ${owner}`)
      checkArgs(owner, spec.params, spec.positional?.(count) ?? spec.params, e.args, e.pos)
    }
  }

  test(e: Extract<Expr, { kind: 'test' }>): void {
    const spec = TEST_SPECS.get(e.name)
    if (spec === undefined) throw new TemplateError(`unknown test '${e.name}'`, { pos: e.pos })
    if (!spec.portable) this.note(e.pos, `test '${e.name}'`)
    if (e.args.length !== spec.arity) {
      const n = spec.arity === 1 ? '1 argument' : `${spec.arity} arguments`
      throw new TemplateError(`test '${e.name}' takes ${n}`, { pos: e.pos })
    }
  }
}

function refOf(root: string, keys: ReadonlyArray<Expr>, pos: Pos): TemplateRef {
  const path: string[] = []
  for (const k of keys) {
    if (k.kind !== 'literal' || (typeof k.value !== 'string' && typeof k.value !== 'number')) break
    path.push(String(k.value))
  }
  return { root, path, line: pos.line, column: pos.column }
}

function checkArgs(
  owner: string,
  params: ReadonlyArray<string>,
  positional: ReadonlyArray<string>,
  args: CallArgs,
  pos: Pos,
): void {
  if (args.positional.length > positional.length) {
    throw new TemplateError(`${owner} takes at most ${positional.length} argument(s)`, { pos })
  }
  const seen = new Set(positional.slice(0, args.positional.length))
  for (const a of args.named) {
    if (!params.includes(a.name)) {
      const expected = params.length > 0 ? ` (expected ${params.join(', ')})` : ''
      throw new TemplateError(`${owner} has no argument '${a.name}'${expected}`, { pos: a.pos })
    }
    if (seen.has(a.name)) {
      throw new TemplateError(`${owner} got argument '${a.name}' twice`, { pos: a.pos })
    }
    seen.add(a.name)
  }
}

/** Analyses a converted template; throws TemplateError on the first static error. */
export function analyzeTemplate(
  body: ReadonlyArray<Stmt>,
  notes: ReadonlyArray<{ readonly pos: Pos; readonly note: string }>,
): Analysis {
  const a = new Analyzer()
  for (const n of notes) a.note(n.pos, n.note)
  a.stmts(body, new Bindings(null))
  return { refs: a.refs, nonPortable: a.nonPortable }
}
