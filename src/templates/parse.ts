import type { Expr, MacroParam, Pos, Stmt } from './ast.ts'
import { tokenize, type Note, type Token } from './lexer.ts'
import { ExprParser, NO_ARGS } from './parse-expr.ts'
import { TemplateError } from './template-error.ts'

/**
 * Parses a template into Weir's AST (ast.ts): tags here, expressions in parse-expr.ts, tokens in
 * lexer.ts. The grammar, and what it rejects, is in docs/templates.md. Positions are 1-based
 * and point into the template exactly as written.
 */

export interface Parsed {
  readonly body: ReadonlyArray<Stmt>
  readonly notes: ReadonlyArray<Note>
}

/** Tags of Tera or Nunjucks that Weir does not implement. */
const UNSUPPORTED_TAGS: ReadonlySet<string> = new Set([
  'break',
  'continue',
  'set_global',
  'include',
  'extends',
  'import',
  'from',
  'block',
  'switch',
  'call',
  'ifAsync',
  'asyncEach',
  'asyncAll',
])

const CLOSERS = /^(end\w+|elif|elseif|else)$/
const NONE: ReadonlySet<string> = new Set()
const IF_ENDS: ReadonlySet<string> = new Set(['elif', 'elseif', 'else', 'endif'])
const FOR_ENDS: ReadonlySet<string> = new Set(['else', 'endfor'])

function ends(tag: string): ReadonlySet<string> {
  return new Set([tag])
}

const ENDIF = ends('endif')
const ENDFOR = ends('endfor')
const ENDSET = ends('endset')
const ENDMACRO = ends('endmacro')
const ENDFILTER = ends('endfilter')

interface Block {
  readonly body: Stmt[]
  /** The name token of the tag that ended the block. */
  readonly end: Token
}

class TemplateParser extends ExprParser {
  readonly notes: Note[] = []

  template(): Stmt[] {
    return this.#statements(NONE).body
  }

  /** Statements up to a tag named in `stop` (its name is consumed) or the end of the template. */
  #statements(stop: ReadonlySet<string>): Block {
    const body: Stmt[] = []
    for (;;) {
      const t = this.next()
      if (t.kind === 'text') {
        body.push({ kind: 'text', text: t.text })
      } else if (t.kind === 'varOpen') {
        const expr = this.expression()
        const close = this.next()
        if (close.kind !== 'varClose') this.fail(close, "expected '}}'")
        body.push({ kind: 'output', expr, pos: expr.pos })
      } else if (t.kind === 'tagOpen') {
        const name = this.next()
        if (name.kind !== 'name') this.unexpected(name, "a tag name after '{%'")
        if (stop.has(name.text)) return { body, end: name }
        body.push(this.#tag(name))
      } else if (t.kind === 'end') {
        return { body, end: t }
      } else {
        this.unexpected(t, 'text or a tag')
      }
    }
  }

  /** Statements up to one of `stop`; the end of the template is an error naming `closer`. */
  #block(stop: ReadonlySet<string>, closer: string): Block {
    const block = this.#statements(stop)
    if (block.end.kind === 'end') this.fail(block.end, `missing '{% ${closer} %}'`)
    return block
  }

  #closeTag(tag: string): void {
    const t = this.next()
    if (t.kind !== 'tagClose') this.fail(t, `expected '%}' to close '{% ${tag}'`)
  }

  #tag(name: Token): Stmt {
    switch (name.text) {
      case 'if':
        return this.#if(name)
      case 'for':
        return this.#for(name)
      case 'set':
        return this.#set(name)
      case 'macro':
        return this.#macro(name)
      case 'filter':
        return this.#filterBlock()
      case 'raw':
      case 'verbatim':
        // A well-formed raw block never gets here: the lexer turns it into text.
        return this.fail(this.peek(), `expected '%}' to close '{% ${name.text}'`)
      default:
        break
    }
    if (UNSUPPORTED_TAGS.has(name.text)) {
      this.fail(name, `tag '{% ${name.text} %}' is not supported in Weir templates`)
    }
    if (CLOSERS.test(name.text)) this.fail(name, `unexpected '{% ${name.text} %}'`)
    return this.fail(name, `unknown tag '{% ${name.text} %}'`)
  }

  /** `if`, or the `elif`/`elseif` continuing one: each branch nests in the previous `otherwise`. */
  #if(tag: Token): Stmt {
    if (tag.text === 'elseif') {
      this.notes.push({ pos: this.pos(tag), note: "'elseif' (Tera: 'elif')" })
    }
    const cond = this.expression()
    this.#closeTag(tag.text)
    const { body, end } = this.#block(IF_ENDS, 'endif')
    let otherwise: Stmt[] = []
    if (end.text === 'else') {
      this.#closeTag('else')
      otherwise = this.#block(ENDIF, 'endif').body
      this.#closeTag('endif')
    } else if (end.text === 'endif') {
      this.#closeTag('endif')
    } else {
      otherwise = [this.#if(end)]
    }
    return { kind: 'if', cond, body, otherwise, pos: this.pos(tag) }
  }

  #for(tag: Token): Stmt {
    const names = this.#names('a loop variable name')
    const [first] = names
    if (first !== undefined && names.length > 2) {
      this.fail(first, 'a for loop takes one or two variable names')
    }
    const inTok = this.next()
    if (!this.isWord(inTok, 'in')) this.unexpected(inTok, "'in' after the loop variables")
    const iterable = this.expression()
    this.#closeTag('for')
    const { body, end } = this.#block(FOR_ENDS, 'endfor')
    let otherwise: Stmt[] = []
    if (end.text === 'else') {
      this.#closeTag('else')
      otherwise = this.#block(ENDFOR, 'endfor').body
    }
    this.#closeTag('endfor')
    return {
      kind: 'for',
      names: names.map((n) => n.text),
      iterable,
      body,
      otherwise,
      pos: this.pos(tag),
    }
  }

  /** `{% set a = expr %}`, or the block form `{% set a %}…{% endset %}`. */
  #set(tag: Token): Stmt {
    const names = this.#names('a variable name')
    const pos = this.pos(tag)
    const t = this.next()
    let value: Expr
    if (this.isPunct(t, '=')) {
      value = this.expression()
      this.#closeTag('set')
    } else if (t.kind === 'tagClose') {
      value = { kind: 'capture', body: this.#block(ENDSET, 'endset').body, pos }
      this.#closeTag('endset')
    } else {
      return this.unexpected(t, "'=' or '%}' in '{% set %}'")
    }
    return { kind: 'set', names: names.map((n) => n.text), value, pos }
  }

  /** `{% macro name(a, b=default) %}…{% endmacro %}` (Tera also allows `endmacro name`). */
  #macro(tag: Token): Stmt {
    const name = this.#name('a macro name')
    const params: MacroParam[] = []
    if (!this.isPunct(this.peek(), '(')) this.unexpected(this.peek(), "'(' after the macro name")
    const args = this.callArgs()
    for (const p of args.positional) {
      if (p.kind !== 'name') this.#failAt(p.pos, 'macro parameters must be plain names')
      params.push({ name: p.name, fallback: null })
    }
    for (const p of args.named) params.push({ name: p.name, fallback: p.value })
    this.#closeTag('macro')
    const { body } = this.#block(ENDMACRO, 'endmacro')
    const after = this.peek()
    if (after.kind === 'name') {
      this.next()
      if (after.text !== name.text) {
        this.fail(after, `'{% endmacro ${after.text} %}' closes macro '${name.text}'`)
      }
    }
    this.#closeTag('endmacro')
    return { kind: 'macro', name: name.text, params, body, pos: this.pos(tag) }
  }

  /** `{% filter name(args) %}…{% endfilter %}`: the rendered body is the filter's subject. */
  #filterBlock(): Stmt {
    const name = this.next()
    if (name.kind !== 'name') this.unexpected(name, "a filter name after '{% filter'")
    const args = this.isPunct(this.peek(), '(') ? this.callArgs() : NO_ARGS
    this.#closeTag('filter')
    const pos = this.pos(name)
    const subject: Expr = { kind: 'capture', body: this.#block(ENDFILTER, 'endfilter').body, pos }
    this.#closeTag('endfilter')
    return { kind: 'output', expr: { kind: 'filter', name: name.text, subject, args, pos }, pos }
  }

  /** `a` or `a, b, …`. */
  #names(wanted: string): Token[] {
    const names = [this.#name(wanted)]
    while (this.isPunct(this.peek(), ',')) {
      this.next()
      names.push(this.#name(wanted))
    }
    return names
  }

  #name(wanted: string): Token {
    const t = this.next()
    if (t.kind !== 'name') this.unexpected(t, wanted)
    return t
  }

  #failAt(pos: Pos, reason: string): never {
    throw new TemplateError(reason, { pos })
  }
}

function byPosition(a: Note, b: Note): number {
  return a.pos.line - b.pos.line || a.pos.column - b.pos.column
}

/** Parses a template; throws TemplateError (with its line and column) on any syntax error. */
export function parseTemplate(src: string): Parsed {
  const lexed = tokenize(src)
  const parser = new TemplateParser(lexed)
  const body = parser.template()
  const notes = [...lexed.notes, ...parser.notes]
  return { body, notes: notes.length > 1 ? notes.sort(byPosition) : notes }
}
