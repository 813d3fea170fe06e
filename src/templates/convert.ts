import type { MacroParam, Stmt } from './ast.ts'
import { ExprConverter, type NjNode, type PosFn } from './convert-expr.ts'

/** Conversion of Nunjucks statement nodes into Weir's AST (see ast.ts). */

class Converter extends ExprConverter {
  stmts(list: NjNode | null): Stmt[] {
    if (list === null) return []
    if (list.typename !== 'NodeList' && list.typename !== 'Root') return this.stmt(list)
    return this.children(list).flatMap((c) => this.stmt(c))
  }

  stmt(n: NjNode): Stmt[] {
    switch (n.typename) {
      case 'Output':
        return this.children(n).map((c) => this.outputPart(c))
      case 'If':
        return [this.ifStmt(n)]
      case 'For':
        return [this.forStmt(n)]
      case 'Set':
        return [this.setStmt(n)]
      case 'Macro':
        return [this.macroStmt(n)]
      case 'NodeList':
        return this.stmts(n)
      default:
        return this.unsupported(n)
    }
  }

  outputPart(n: NjNode): Stmt {
    if (n.typename === 'TemplateData') {
      const text = n['value']
      return { kind: 'text', text: typeof text === 'string' ? text : '' }
    }
    return { kind: 'output', expr: this.expr(n), pos: this.at(n) }
  }

  ifStmt(n: NjNode): Stmt {
    return {
      kind: 'if',
      cond: this.expr(this.field(n, 'cond')),
      body: this.stmts(this.optField(n, 'body')),
      otherwise: this.stmts(this.optField(n, 'else_')),
      pos: this.at(n),
    }
  }

  forStmt(n: NjNode): Stmt {
    const target = this.field(n, 'name')
    const nameNodes = target.typename === 'Array' ? this.children(target) : [target]
    if (nameNodes.length > 2) this.fail(target, 'a for loop takes one or two variable names')
    return {
      kind: 'for',
      names: nameNodes.map((s) => this.symbolName(s, 'loop variable')),
      iterable: this.expr(this.field(n, 'arr')),
      body: this.stmts(this.optField(n, 'body')),
      otherwise: this.stmts(this.optField(n, 'else_')),
      pos: this.at(n),
    }
  }

  setStmt(n: NjNode): Stmt {
    const names = this.children(n, 'targets').map((t) => this.symbolName(t, 'set target'))
    const valueNode = this.optField(n, 'value') ?? this.optField(n, 'body')
    if (valueNode === null) this.fail(n, "'{% set %}' needs a value")
    return { kind: 'set', names, value: this.expr(valueNode), pos: this.at(n) }
  }

  macroStmt(n: NjNode): Stmt {
    const params: MacroParam[] = []
    for (const a of this.children(this.field(n, 'args'))) {
      if (a.typename === 'KeywordArgs') {
        for (const p of this.children(a)) {
          const name = this.symbolName(this.field(p, 'key'), 'macro parameter')
          params.push({ name, fallback: this.expr(this.field(p, 'value')) })
        }
      } else {
        params.push({ name: this.symbolName(a, 'macro parameter'), fallback: null })
      }
    }
    return {
      kind: 'macro',
      name: this.symbolName(this.field(n, 'name'), 'macro name'),
      params,
      body: this.stmts(this.optField(n, 'body')),
      pos: this.at(n),
    }
  }
}

/** Converts a Nunjucks Root node into Weir statements; throws TemplateError on unsupported syntax. */
export function convertRoot(root: NjNode, pos: PosFn): ReadonlyArray<Stmt> {
  return new Converter(pos).stmts(root)
}
