import { assertNever } from '../shared/errors.ts'
import type { Pos } from './ast.ts'
import { TemplateError } from './template-error.ts'

/**
 * Splits a template into tokens (grammar: docs/templates.md). Outside tags the lexer emits text,
 * already trimmed by whitespace control (`{%-`, `-%}`, `{{-`, `-}}`, `{#-`, `-#}`); comments
 * vanish and raw blocks become plain text. Inside `{{ }}` and `{% %}` it emits expression tokens.
 * A lexical error ends the stream as an `error` token, so the parser reports errors in reading
 * order: a bad tag before an unterminated string is reported first.
 */

export type TokenKind =
  | 'text'
  | 'varOpen'
  | 'varClose'
  | 'tagOpen'
  | 'tagClose'
  | 'name'
  | 'number'
  | 'string'
  | 'punct'
  | 'end'
  | 'error'

export interface Token {
  readonly kind: TokenKind
  /** Text content, identifier, decoded string value, digits or punctuation. */
  readonly text: string
  /** Offset of the token's first character in the template. */
  readonly start: number
  readonly error?: TemplateError
}

export interface Note {
  readonly pos: Pos
  readonly note: string
}

export interface Lexed {
  readonly tokens: ReadonlyArray<Token>
  readonly lines: LineIndex
  /** Nunjucks-only spellings spotted while lexing (`{% verbatim %}`). */
  readonly notes: ReadonlyArray<Note>
}

/** Turns offsets into 1-based line and column positions. */
export class LineIndex {
  readonly #starts: number[] = [0]

  constructor(src: string) {
    for (let i = src.indexOf('\n'); i >= 0; i = src.indexOf('\n', i + 1)) this.#starts.push(i + 1)
  }

  pos(offset: number): Pos {
    const starts = this.#starts
    let lo = 0
    let hi = starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if ((starts[mid] ?? 0) <= offset) lo = mid
      else hi = mid - 1
    }
    return { line: lo + 1, column: offset - (starts[lo] ?? 0) + 1 }
  }
}

const PUNCT3 = new Set(['===', '!=='])
const PUNCT2 = new Set(['==', '!=', '<=', '>=', '//', '**'])
const PUNCT1 = new Set('()[]{},:|~.+-*/%<>=')

const RAW_OPEN = /\{%(-?)\s*(raw|verbatim)\s*(-?)%\}/y
const RAW_CLOSE = /\{%(-?)\s*endraw\s*(-?)%\}/g
const VERBATIM_CLOSE = /\{%(-?)\s*endverbatim\s*(-?)%\}/g

function isSpace(c: string): boolean {
  return c === ' ' || c === '\n' || c === '\t' || c === '\r' || c === '\u00a0'
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9'
}

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_'
}

function isIdentChar(c: string): boolean {
  return isIdentStart(c) || isDigit(c)
}

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r' }

class Lexer {
  readonly #src: string
  readonly lines: LineIndex
  readonly tokens: Token[] = []
  readonly notes: Note[] = []
  #i = 0
  /** The previous tag ended with `-%}`, `-}}` or `-#}`: trim the start of the next text. */
  #trimNext = false

  constructor(src: string) {
    this.#src = src
    this.lines = new LineIndex(src)
  }

  run(): void {
    while (this.#i < this.#src.length) {
      if (!this.#textAndTag()) return
    }
    this.tokens.push({ kind: 'end', text: '', start: this.#src.length })
  }

  #fail(at: number, reason: string): false {
    const error = new TemplateError(reason, { pos: this.lines.pos(at) })
    this.tokens.push({ kind: 'error', text: '', start: at, error })
    return false
  }

  /** Text up to the next `{{`, `{%` or `{#`, then that tag. Returns false once lexing stopped. */
  #textAndTag(): boolean {
    const src = this.#src
    let open = src.indexOf('{', this.#i)
    while (open >= 0) {
      const c = src[open + 1]
      if (c === '{' || c === '%' || c === '#') break
      open = src.indexOf('{', open + 1)
    }
    const end = open < 0 ? src.length : open
    this.#text(this.#i, end, open >= 0 && src[open + 2] === '-')
    if (open < 0) {
      this.#i = src.length
      return true
    }
    this.#trimNext = false
    const kind = src[open + 1]
    if (kind === '#') return this.#comment(open)
    if (kind === '%') {
      RAW_OPEN.lastIndex = open
      const raw = RAW_OPEN.exec(src)
      if (raw !== null) return this.#raw(open, raw)
    }
    const trim = src[open + 2] === '-'
    this.tokens.push({ kind: kind === '%' ? 'tagOpen' : 'varOpen', text: '', start: open })
    this.#i = open + (trim ? 3 : 2)
    return this.#code()
  }

  #text(from: number, to: number, trimEnd: boolean): void {
    let text = this.#src.slice(from, to)
    if (this.#trimNext) text = text.trimStart()
    if (trimEnd) text = text.trimEnd()
    this.#trimNext = false
    if (text !== '') this.tokens.push({ kind: 'text', text, start: from })
  }

  #comment(open: number): boolean {
    const close = this.#src.indexOf('#}', open + 2)
    if (close < 0) return this.#fail(open, "comment '{#' is never closed")
    this.#trimNext = this.#src[close - 1] === '-'
    this.#i = close + 2
    return true
  }

  /** `{% raw %}…{% endraw %}` (or verbatim): the body is text, up to the first closing tag. */
  #raw(open: number, match: RegExpExecArray): boolean {
    const [, , name = 'raw', trimBody = ''] = match
    if (name === 'verbatim') {
      this.notes.push({ pos: this.lines.pos(open), note: "'{% verbatim %}' (Tera: '{% raw %}')" })
    }
    const bodyStart = open + match[0].length
    const closeRe = name === 'verbatim' ? VERBATIM_CLOSE : RAW_CLOSE
    closeRe.lastIndex = bodyStart
    const close = closeRe.exec(this.#src)
    if (close === null) return this.#fail(this.#src.length, `missing '{% end${name} %}'`)
    let body = this.#src.slice(bodyStart, close.index)
    if (trimBody === '-') body = body.trimStart()
    if (close[1] === '-') body = body.trimEnd()
    if (body !== '') this.tokens.push({ kind: 'text', text: body, start: bodyStart })
    this.#trimNext = close[2] === '-'
    this.#i = close.index + close[0].length
    return true
  }

  /** Expression tokens up to and including the closing `}}` or `%}`. */
  #code(): boolean {
    const src = this.#src
    const tokens = this.tokens
    while (this.#i < src.length) {
      const i = this.#i
      const c = src[i] ?? ''
      if (isSpace(c)) {
        this.#i++
        continue
      }
      const next = src[i + 1] ?? ''
      if ((c === '}' || c === '%') && next === '}') return this.#close(i, i + 2, c, false)
      if (c === '-' && (next === '}' || next === '%') && src[i + 2] === '}') {
        return this.#close(i, i + 3, next, true)
      }
      const prev = tokens[tokens.length - 1]
      if (prev?.kind === 'punct' && prev.text === '.' && isIdentChar(c)) this.#segment(i)
      else if (c === '"' || c === "'") {
        if (!this.#quoted(i, c)) return false
      } else if (c === '`') {
        if (!this.#backtick(i)) return false
      } else if (isDigit(c)) this.#number(i)
      else if (isIdentStart(c)) {
        if (c === 'r' && next === '/') {
          return this.#fail(i, 'regular expression literals are not supported in Weir templates')
        }
        let j = i + 1
        while (j < src.length && isIdentChar(src[j] ?? '')) j++
        tokens.push({ kind: 'name', text: src.slice(i, j), start: i })
        this.#i = j
      } else if (!this.#punct(i, c, next)) {
        return this.#fail(i, `unexpected character '${c}'`)
      }
    }
    return true
  }

  #close(at: number, end: number, c: string, trim: boolean): boolean {
    this.tokens.push({ kind: c === '}' ? 'varClose' : 'tagClose', text: '', start: at })
    this.#trimNext = trim
    this.#i = end
    return true
  }

  /** After `.`: a key (`a.b`, `a.0b`) or a list index (`a.0`). */
  #segment(i: number): void {
    const src = this.#src
    let j = i
    let digits = true
    while (j < src.length && isIdentChar(src[j] ?? '')) {
      if (!isDigit(src[j] ?? '')) digits = false
      j++
    }
    this.tokens.push({ kind: digits ? 'number' : 'name', text: src.slice(i, j), start: i })
    this.#i = j
  }

  #number(i: number): void {
    const src = this.#src
    let j = i + 1
    while (isDigit(src[j] ?? '')) j++
    if (src[j] === '.' && isDigit(src[j + 1] ?? '')) {
      j += 2
      while (isDigit(src[j] ?? '')) j++
    }
    this.tokens.push({ kind: 'number', text: src.slice(i, j), start: i })
    this.#i = j
  }

  /** `"…"` or `'…'`: `\n`, `\t` and `\r` are control characters, `\x` is `x` (Tera: no escapes). */
  #quoted(i: number, quote: string): boolean {
    const src = this.#src
    let out = ''
    let from = i + 1
    let j = from
    while (j < src.length) {
      const c = src[j]
      if (c === quote) {
        this.tokens.push({ kind: 'string', text: out + src.slice(from, j), start: i })
        this.#i = j + 1
        return true
      }
      if (c === '\\') {
        const e = src[j + 1] ?? ''
        out += src.slice(from, j) + (ESCAPES[e] ?? e)
        j += 2
        from = j
      } else {
        j++
      }
    }
    return this.#fail(i, 'string is never closed')
  }

  /** `` `…` `` keeps every character as written, as in Tera. */
  #backtick(i: number): boolean {
    const end = this.#src.indexOf('`', i + 1)
    if (end < 0) return this.#fail(i, 'string is never closed')
    this.tokens.push({ kind: 'string', text: this.#src.slice(i + 1, end), start: i })
    this.#i = end + 1
    return true
  }

  #punct(i: number, c: string, next: string): boolean {
    const two = c + next
    const three = two + (this.#src[i + 2] ?? '')
    const text = PUNCT3.has(three) ? three : PUNCT2.has(two) ? two : PUNCT1.has(c) ? c : null
    if (text === null) return false
    this.tokens.push({ kind: 'punct', text, start: i })
    this.#i = i + text.length
    return true
  }
}

/** Tokenizes a whole template; see the module comment. */
export function tokenize(src: string): Lexed {
  const lexer = new Lexer(src)
  lexer.run()
  return { tokens: lexer.tokens, lines: lexer.lines, notes: lexer.notes }
}

/** How a token is named in error messages. */
export function describeToken(t: Token): string {
  switch (t.kind) {
    case 'end':
      return 'end of template'
    case 'varClose':
      return "'}}'"
    case 'tagClose':
      return "'%}'"
    case 'varOpen':
      return "'{{'"
    case 'tagOpen':
      return "'{%'"
    case 'string':
      return 'a string'
    case 'text':
      return 'text'
    case 'name':
    case 'number':
    case 'punct':
    case 'error':
      return `'${t.text}'`
    default:
      return assertNever(t.kind, 'token')
  }
}
