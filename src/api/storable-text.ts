/**
 * Text PostgreSQL cannot store: a NUL character (text and jsonb refuse U+0000) and an unpaired
 * UTF-16 surrogate (it has no UTF-8 form: jsonb refuses its escape, and a text parameter would
 * silently become U+FFFD). A request carrying either anywhere is refused up front with a 400
 * naming the field, rather than failing inside a statement as a 500. Values nested deeper than
 * MAX_JSON_DEPTH are refused too: serialising them for a jsonb column (JSON.stringify, and
 * PostgreSQL's own parser) recurses once per level and can exhaust the stack.
 */

/** Deepest nesting of arrays and objects a request body may have. */
export const MAX_JSON_DEPTH = 64

/** Most problems one message names; a hostile body may hold thousands. */
const MAX_ISSUES = 10

export interface TextIssue {
  /** Where, as the API names fields: `input.name`, `lines[0].line`, a query parameter, a header. */
  readonly path: string
  readonly message: string
}

const NUL_OR_LONE_SURROGATE =
  // eslint-disable-next-line no-control-regex -- the NUL is exactly what this looks for
  /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Why `text` cannot be stored, or null when it can. */
export function unstorableReason(text: string): string | null {
  const m = NUL_OR_LONE_SURROGATE.exec(text)
  if (!m) return null
  if (m[0] === '\u0000') return 'contains a NUL character (\\u0000), which cannot be stored'
  return `contains an unpaired UTF-16 surrogate (${escapeUnstorable(m[0])}), which cannot be stored`
}

const UNSTORABLE_GLOBAL = new RegExp(NUL_OR_LONE_SURROGATE.source, 'g')

/** `text` with what cannot be stored written as `\\uXXXX`, so a message can quote it. */
export function escapeUnstorable(text: string): string {
  return text.replace(
    UNSTORABLE_GLOBAL,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

/** `base.key`, `base[3]`, or the key alone at the top. */
function child(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`
  const name = escapeUnstorable(key)
  return base === '' ? name : `${base}.${name}`
}

/**
 * Every string and key of a parsed JSON value that cannot be stored, and the first place nested
 * deeper than MAX_JSON_DEPTH, at most MAX_ISSUES of them. Walks with its own stack, so a value
 * nested a hundred thousand levels deep is reported, not a stack overflow. `skip` leaves a path
 * alone (text that never reaches the database).
 */
export function unstorableJson(
  value: unknown,
  base = '',
  skip: (path: string) => boolean = () => false,
): TextIssue[] {
  const issues: TextIssue[] = []
  const todo: Array<{ value: unknown; path: string; depth: number }> = [
    { value, path: base, depth: 0 },
  ]
  let tooDeep = false
  while (todo.length > 0 && issues.length < MAX_ISSUES) {
    const { value: v, path, depth } = todo.pop()!
    if (skip(path)) continue
    if (typeof v === 'string') {
      const why = unstorableReason(v)
      if (why) issues.push({ path: path || 'body', message: why })
      continue
    }
    if (v === null || typeof v !== 'object') continue
    if (depth >= MAX_JSON_DEPTH) {
      if (!tooDeep)
        issues.push({
          path: path || 'body',
          message: `is nested deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`,
        })
      tooDeep = true
      continue
    }
    // Pushed in reverse so that issues come out in document order.
    const entries: Array<[string | number, unknown]> = Array.isArray(v)
      ? v.map((item, i) => [i, item])
      : Object.entries(v)
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, item] = entries[i]!
      todo.push({ value: item, path: child(path, key), depth: depth + 1 })
    }
    if (!Array.isArray(v)) {
      for (const key of Object.keys(v)) {
        const why = unstorableReason(key)
        if (why) issues.push({ path: child(path, key), message: `has a name that ${why}` })
      }
    }
  }
  return issues.slice(0, MAX_ISSUES)
}
