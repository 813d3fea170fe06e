import type { Pos } from './ast.ts'

/**
 * Tera syntax that Nunjucks cannot lex is rewritten before parsing (WORKSPACE-FORMAT.md §8.6):
 * `items.0` → `items[0]`, backtick strings → double-quoted, `True`/`False` → `true`/`false`, and a
 * literal `#}` in plain text (an error in Nunjucks, text in Tera) → `#{{ "}" }}`. Rewrites only
 * insert characters inside a line, so a PositionMap can translate parser positions back.
 */

export interface Rewritten {
  readonly source: string
  readonly positions: PositionMap
  /** Nunjucks-only spellings spotted while scanning (e.g. `elseif`). */
  readonly notes: ReadonlyArray<{ readonly pos: Pos; readonly note: string }>
}

/** Maps 0-based positions in the rewritten source to 1-based positions in the original. */
export class PositionMap {
  // line (0-based) -> insertions in original column order: [original column, extra chars]
  readonly #inserts: ReadonlyMap<number, ReadonlyArray<readonly [number, number]>>

  constructor(inserts: ReadonlyMap<number, ReadonlyArray<readonly [number, number]>>) {
    this.#inserts = inserts
  }

  toOriginal(line0: number, col0: number): Pos {
    let shift = 0
    for (const [at, extra] of this.#inserts.get(line0) ?? []) {
      if (col0 < at + shift) break
      if (col0 < at + shift + extra) return { line: line0 + 1, column: at + 1 }
      shift += extra
    }
    return { line: line0 + 1, column: col0 - shift + 1 }
  }
}

const IDENT_START = /[A-Za-z_]/
const IDENT_CHAR = /[A-Za-z0-9_]/
const DIGIT = /[0-9]/
const RAW_OPEN = /\{%(-?)(\s*)(raw|verbatim)(\s*)(-?)%\}/y
const TAG_NAME = /\{%-?\s*([A-Za-z_]+)/y

class Scanner {
  readonly #src: string
  #i = 0
  #line = 0
  #lineStart = 0
  readonly #out: string[] = []
  readonly #inserts = new Map<number, Array<readonly [number, number]>>()
  readonly notes: Array<{ pos: Pos; note: string }> = []

  constructor(src: string) {
    this.#src = src
  }

  run(): Rewritten {
    while (this.#i < this.#src.length) this.#text()
    return {
      source: this.#out.join(''),
      positions: new PositionMap(this.#inserts),
      notes: this.notes,
    }
  }

  #col(): number {
    return this.#i - this.#lineStart
  }

  /** Copies the original up to (not including) `end`, tracking line starts. */
  #copyTo(end: number): void {
    const stop = Math.min(end, this.#src.length)
    for (let j = this.#i; j < stop; j++) {
      if (this.#src[j] === '\n') {
        this.#line++
        this.#lineStart = j + 1
      }
    }
    this.#out.push(this.#src.slice(this.#i, stop))
    this.#i = stop
  }

  /** Emits `text` that replaces nothing, in front of the current original character. */
  #insert(text: string): void {
    const list = this.#inserts.get(this.#line) ?? []
    list.push([this.#col(), text.length])
    this.#inserts.set(this.#line, list)
    this.#out.push(text)
  }

  #at(s: string): boolean {
    return this.#src.startsWith(s, this.#i)
  }

  #text(): void {
    const src = this.#src
    if (this.#at('{#')) {
      const end = src.indexOf('#}', this.#i + 2)
      this.#copyTo(end < 0 ? src.length : end + 2)
    } else if (this.#at('{%')) {
      this.#tagStart()
    } else if (this.#at('{{')) {
      this.#copyTo(this.#i + 2)
      this.#code()
    } else if (this.#at('#}')) {
      this.#copyTo(this.#i + 1)
      this.#insert('{{ "')
      this.#copyTo(this.#i + 1)
      this.#insert('" }}')
    } else {
      const next = nextSpecial(src, this.#i + 1)
      this.#copyTo(next)
    }
  }

  #tagStart(): void {
    RAW_OPEN.lastIndex = this.#i
    const open = RAW_OPEN.exec(this.#src)
    if (open !== null) return this.#raw(open)
    TAG_NAME.lastIndex = this.#i
    const tag = TAG_NAME.exec(this.#src)
    if (tag?.[1] === 'elseif') {
      const column = this.#col() + tag[0].length - tag[1].length + 1
      this.notes.push({ pos: { line: this.#line + 1, column }, note: "'elseif' (Tera: 'elif')" })
    }
    this.#copyTo(this.#i + 2)
    this.#code()
  }

  /**
   * A raw block becomes one string-literal output, `{{ "…" }}`: Nunjucks ignores whitespace
   * control on raw tags and its lexer crashes on a newline inside `{% endraw %}`. Whitespace to
   * trim moves outside the literal (where the parser skips it) and padding keeps the block's last
   * line as long as before, so positions after it stay exact.
   */
  #raw(open: RegExpExecArray): void {
    const [openTag, lead = '', , name = '', , trimAfterOpen = ''] = open
    if (name === 'verbatim') {
      const pos = { line: this.#line + 1, column: this.#col() + 1 }
      this.notes.push({ pos, note: "'{% verbatim %}' (Tera: '{% raw %}')" })
    }
    const bodyStart = this.#i + openTag.length
    const closeRe = new RegExp(`\\{%(-?)\\s*end${name}\\s*(-?)%\\}`, 'g')
    closeRe.lastIndex = bodyStart
    const close = closeRe.exec(this.#src)
    if (close === null) return this.#copyTo(this.#src.length)
    const [closeTag, trimBeforeClose = '', trimAfterClose = ''] = close
    let body = this.#src.slice(bodyStart, close.index)
    const w1 = trimAfterOpen ? (/^\s*/.exec(body)?.[0] ?? '') : ''
    body = body.slice(w1.length)
    const w2 = trimBeforeClose ? (/\s*$/.exec(body)?.[0] ?? '') : ''
    body = body.slice(0, body.length - w2.length)
    const end = close.index + closeTag.length
    const w3 = trimAfterClose ? (/^\s*/.exec(this.#src.slice(end))?.[0] ?? '') : ''
    const literal = `"${body.replace(/["\\]/g, '\\$&')}"`
    this.#replaceRegion(end + w3.length, `{{${lead} ${literal}${w1}${w2}${w3}`, ' }}')
  }

  /**
   * Replaces the original up to `end` with `head + padding + tail`, padding with spaces so the
   * last line keeps its length where possible; a remaining overhang is recorded as an insertion.
   */
  #replaceRegion(end: number, head: string, tail: string): void {
    const original = this.#src.slice(this.#i, end)
    const lastLine = (s: string): number => s.length - 1 - s.lastIndexOf('\n')
    const startCol = this.#col()
    const multiline = original.includes('\n') || head.includes('\n')
    const before = multiline ? lastLine(original) : startCol + original.length
    const after = multiline ? lastLine(head + tail) : startCol + head.length + tail.length
    const text = head + ' '.repeat(Math.max(0, before - after)) + tail
    this.#copyTo(end)
    this.#out.pop()
    this.#out.push(text)
    if (after > before) {
      const list = this.#inserts.get(this.#line) ?? []
      list.push([this.#col(), after - before])
      this.#inserts.set(this.#line, list)
    }
  }

  /** Scans an expression up to its closing `}}` or `%}` (which are copied by #text). */
  #code(): void {
    const src = this.#src
    let valueEnd = false
    while (this.#i < src.length) {
      if (this.#at('}}') || this.#at('%}')) {
        this.#copyTo(this.#i + 2)
        return
      }
      const c = src[this.#i] ?? ''
      if (c === '"' || c === "'") {
        this.#copyTo(stringEnd(src, this.#i))
        valueEnd = true
      } else if (c === '`') {
        this.#backtick()
        valueEnd = true
      } else if (IDENT_START.test(c)) {
        this.#word()
        valueEnd = true
      } else if (DIGIT.test(c)) {
        this.#copyTo(numberEnd(src, this.#i))
        valueEnd = false
      } else if (c === '.' && valueEnd && DIGIT.test(src[this.#i + 1] ?? '')) {
        valueEnd = this.#numericSegment()
      } else {
        this.#copyTo(this.#i + 1)
        valueEnd = c === ']' || c === ')'
      }
    }
  }

  #word(): void {
    let end = this.#i + 1
    while (end < this.#src.length && IDENT_CHAR.test(this.#src[end] ?? '')) end++
    const word = this.#src.slice(this.#i, end)
    if (word === 'True' || word === 'False') {
      this.#out.push(word.toLowerCase())
      this.#i = end
    } else {
      this.#copyTo(end)
    }
  }

  /** `.0` after a value becomes `[0]`; returns whether a value still ends here. */
  #numericSegment(): boolean {
    let end = this.#i + 1
    while (end < this.#src.length && DIGIT.test(this.#src[end] ?? '')) end++
    if (IDENT_START.test(this.#src[end] ?? '')) {
      this.#copyTo(end)
      return false
    }
    this.#out.push('[')
    this.#i++
    this.#copyTo(end)
    this.#insert(']')
    return true
  }

  #backtick(): void {
    const src = this.#src
    this.#out.push('"')
    this.#i++
    while (this.#i < src.length && src[this.#i] !== '`') {
      const c = src[this.#i]
      if (c === '"' || c === '\\') this.#insert('\\')
      this.#copyTo(this.#i + 1)
    }
    if (this.#i < src.length) {
      this.#out.push('"')
      this.#i++
    }
  }
}

function nextSpecial(src: string, from: number): number {
  for (let j = from; j < src.length; j++) {
    const c = src[j]
    if ((c === '{' || c === '#') && j + 1 < src.length) {
      const pair = src.slice(j, j + 2)
      if (pair === '{{' || pair === '{%' || pair === '{#' || pair === '#}') return j
    }
  }
  return src.length
}

function stringEnd(src: string, start: number): number {
  const quote = src[start]
  let j = start + 1
  while (j < src.length && src[j] !== quote) j += src[j] === '\\' ? 2 : 1
  return Math.min(j + 1, src.length)
}

function numberEnd(src: string, start: number): number {
  let j = start
  while (j < src.length && DIGIT.test(src[j] ?? '')) j++
  if (src[j] === '.' && DIGIT.test(src[j + 1] ?? '')) {
    j++
    while (j < src.length && DIGIT.test(src[j] ?? '')) j++
  }
  return j
}

/** Rewrites Tera-only spellings into Nunjucks syntax; see the module comment. */
export function rewriteSource(src: string): Rewritten {
  return new Scanner(src).run()
}
