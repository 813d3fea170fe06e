import nunjucks from 'nunjucks'
import { coerceError } from '../shared/errors.ts'
import type { Pos, Stmt } from './ast.ts'
import { convertRoot } from './convert.ts'
import type { NjNode } from './convert-expr.ts'
import { rewriteSource } from './rewrite-source.ts'
import { TemplateError } from './template-error.ts'

/**
 * Parsing only: Nunjucks' lexer and parser produce the tree, which convert.ts turns into Weir's
 * own AST. Nunjucks never compiles or renders anything here, so none of its runtime semantics
 * (JS truthiness, loose equality, keyword-object arguments) can leak into Tera templates.
 */

interface Tokenizer {
  readonly lineno: number
  readonly colno: number
}
interface ParserInstance {
  parseAsRoot(): NjNode
}
interface NunjucksInternals {
  readonly lexer: { lex(src: string): Tokenizer }
  readonly parser: { Parser: new (tokens: Tokenizer) => ParserInstance }
}

const internals = nunjucks as unknown as NunjucksInternals

export interface Parsed {
  readonly body: ReadonlyArray<Stmt>
  readonly notes: ReadonlyArray<{ readonly pos: Pos; readonly note: string }>
}

const TERA_ONLY_TAGS = new Set(['break', 'continue', 'set_global'])

/** Parses a template; throws TemplateError (with the original position) on any syntax error. */
export function parseTemplate(src: string): Parsed {
  const rewritten = rewriteSource(src)
  const tokens = internals.lexer.lex(rewritten.source)
  let root: NjNode
  try {
    root = new internals.parser.Parser(tokens).parseAsRoot()
  } catch (e) {
    const err = coerceError(e)
    const lineno: unknown = Reflect.get(err, 'lineno')
    const colno: unknown = Reflect.get(err, 'colno')
    // Nunjucks' parser dereferences a missing token at the end of some unfinished templates.
    const message =
      e instanceof TypeError ? 'unexpected end of template' : friendlyParseMessage(err.message)
    const pos =
      typeof lineno === 'number' && typeof colno === 'number'
        ? rewritten.positions.toOriginal(lineno - 1, colno - 1)
        : (unclosedComment(src) ?? rewritten.positions.toOriginal(tokens.lineno, tokens.colno))
    throw new TemplateError(message, { pos, cause: e })
  }
  const body = convertRoot(root, (line0, col0) => rewritten.positions.toOriginal(line0, col0))
  return { body, notes: rewritten.notes }
}

/** Where the last `{#` without a closing `#}` starts, if any. */
function unclosedComment(src: string): Pos | null {
  const at = src.lastIndexOf('{#')
  if (at < 0 || src.includes('#}', at + 2)) return null
  const before = src.slice(0, at)
  const line = before.split('\n').length
  return { line, column: at - before.lastIndexOf('\n') }
}

function friendlyParseMessage(message: string): string {
  const raw = message.replace(/^parse\w+: /, '')
  const tag = /^unknown block tag: (\S+)/.exec(raw)?.[1]
  if (tag !== undefined) {
    if (TERA_ONLY_TAGS.has(tag)) return `tag '{% ${tag} %}' is not supported in Weir templates`
    if (/^(end\w+|elif|elseif|else)$/.test(tag)) return `unexpected '{% ${tag} %}'`
    return `unknown tag '{% ${tag} %}'`
  }
  if (raw === 'expected variable end') return "expected '}}'"
  if (raw === 'unexpected end of file') return "unexpected end of template (missing '{% end… %}'?)"
  if (raw.startsWith('expected elif, else, or endif')) return "missing '{% endif %}'"
  if (raw === 'unexpected end of comment') return "unexpected '#}'"
  if (raw.startsWith('expected end of comment')) return "comment '{#' is never closed"
  const blockEnd = /^expected block end in (\S+) statement/.exec(raw)
  if (blockEnd !== null) return `expected '%}' to close '{% ${blockEnd[1]}'`
  return raw
}
