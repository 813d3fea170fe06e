/**
 * Typed reads over the YAML AST that report every shape problem with its position (§10.2
 * `wrong-type`, `unknown-key`, `scalar-as-string`). A read that fails reports and yields undefined,
 * so callers keep going and later mistakes are still found.
 */
import { isAlias, isMap, isScalar, isSeq } from 'yaml'
import { isTemplate } from '../templates/render.ts'
import { coerceError } from '../shared/errors.ts'
import type { Node } from 'yaml'
import { didYouMean } from './did-you-mean.ts'
import type { CustomTypeRef, TemplateSite, TemplateUse } from './schema-types.ts'
import type { IssueSeverity, WorkspaceIssue } from './workspace.ts'
import { issueAt, resolveNode, siteOf, sourceText } from './yaml-source.ts'
import type { PathSegment, Site, YamlFile, YamlPath } from './yaml-source.ts'

/** Shared by every cursor of one file: the source and what the reads collect from it. */
export interface ReadContext {
  readonly src: YamlFile
  readonly issues: WorkspaceIssue[]
  /** Every templated string met, with the context deciding which variables it may use. */
  readonly templates: TemplateSite[]
  /** Input fields whose type is not built in: connection types, or mistakes (decided later). */
  readonly customTypes: CustomTypeRef[]
  readonly limits: { aliases: number }
}

/** A resolved node (aliases followed) and its YAML path. */
export interface Cursor {
  readonly ctx: ReadContext
  readonly node: Node | null
  readonly path: YamlPath
}

export interface Entry {
  readonly key: string
  /** Points at the key, for problems with the key itself. */
  readonly keyAt: Cursor
  readonly value: Cursor
}

export type YamlKind = 'null' | 'string' | 'number' | 'boolean' | 'list' | 'mapping'

export function rootCursor(ctx: ReadContext): Cursor {
  return { ctx, node: resolveNode(ctx.src, ctx.src.doc.contents), path: [] }
}

export function kindOf(node: Node | null): YamlKind {
  if (node === null) return 'null'
  if (isMap(node)) return 'mapping'
  if (isSeq(node)) return 'list'
  if (!isScalar(node) || node.value === null || node.value === undefined) return 'null'
  const t = typeof node.value
  return t === 'number' || t === 'bigint' ? 'number' : t === 'boolean' ? 'boolean' : 'string'
}

export function describeKind(kind: YamlKind): string {
  return kind === 'null' ? 'null' : `a ${kind}`
}

export function isNull(c: Cursor): boolean {
  return kindOf(c.node) === 'null'
}

export function site(c: Cursor): Site {
  return siteOf(c.ctx.src, c.node, c.path)
}

export function report(c: Cursor, severity: IssueSeverity, code: string, message: string): void {
  c.ctx.issues.push(issueAt(site(c), severity, code, message))
}

/** `<expectation>, got <kind>` as a wrong-type error: `depends_on must be a list, got a string`. */
export function wrongType(c: Cursor, expectation: string): void {
  const hint = isUnquotedTemplate(c) ? " (a value starting with '{{' must be quoted)" : ''
  report(c, 'error', 'wrong-type', `${expectation}, got ${describeKind(kindOf(c.node))}${hint}`)
}

/** `key: {{ x }}` without quotes: YAML reads a flow mapping where a template was meant (§1.4). */
export function isUnquotedTemplate(c: Cursor): boolean {
  return isMap(c.node) && sourceText(c.ctx.src, c.node).startsWith('{{')
}

/**
 * Aliases expanded per file before reading stops: nested aliases can describe exponentially large
 * values (the "billion laughs"), and a workspace load must stay cheap whatever the input.
 */
export const MAX_ALIAS_EXPANSIONS = 1000

function childCursor(c: Cursor, seg: PathSegment, node: unknown): Cursor {
  const path = [...c.path, seg]
  if (isAlias(node) && --c.ctx.limits.aliases < 0) {
    if (c.ctx.limits.aliases === -1) {
      const msg = `invalid YAML: more than ${MAX_ALIAS_EXPANSIONS} alias expansions; the rest are ignored`
      report({ ctx: c.ctx, node, path }, 'error', 'yaml-syntax', msg)
    }
    return { ctx: c.ctx, node: null, path }
  }
  return { ctx: c.ctx, node: resolveNode(c.ctx.src, node), path }
}

/** True once the file's alias budget is spent: reading stops instead of cascading. */
export function exhausted(c: Cursor): boolean {
  return c.ctx.limits.aliases < 0
}

/**
 * Entries of a mapping in order. Null yields [] (an empty `key:` counts as absent); anything else
 * but a mapping is a wrong-type error. A repeated key keeps its first value (the parser reported it).
 */
export function entries(c: Cursor, expectation: string): Entry[] | undefined {
  if (isNull(c) || exhausted(c)) return []
  if (!isMap(c.node)) {
    wrongType(c, expectation)
    return undefined
  }
  const seen = new Set<string>()
  const out: Entry[] = []
  for (const pair of c.node.items) {
    const keyNode = resolveNode(c.ctx.src, pair.key)
    if (keyNode === null || !isScalar(keyNode)) {
      wrongType({ ...c, node: keyNode }, 'keys must be strings')
      continue
    }
    const key = typeof keyNode.value === 'string' ? keyNode.value : sourceText(c.ctx.src, keyNode)
    if (seen.has(key)) continue
    seen.add(key)
    const value = childCursor(c, key, pair.value)
    out.push({ key, keyAt: { ...value, node: keyNode }, value })
  }
  return out
}

/** Items of a list; null yields []; anything else is a wrong-type error. */
export function items(c: Cursor, expectation: string): Cursor[] | undefined {
  if (isNull(c) || exhausted(c)) return []
  if (!isSeq(c.node)) {
    wrongType(c, expectation)
    return undefined
  }
  return c.node.items.map((item, i) => childCursor(c, i, item))
}

/** Warns about keys outside `known`, suggesting the closest one (`unknown-key`). */
export function checkKeys(
  list: ReadonlyArray<Entry>,
  known: ReadonlyArray<string>,
  owner: string,
  hints: Readonly<Record<string, string>> = {},
): void {
  for (const e of list) {
    if (known.includes(e.key)) continue
    const hint =
      hints[e.key] ??
      (e.key === '<<'
        ? 'ignored; YAML merge keys are not expanded'
        : `ignored${didYouMean(e.key, known).replace(/^ \((.*)\)$/, '; $1')}`)
    report(e.keyAt, 'warning', 'unknown-key', `unknown key '${e.key}' on ${owner} (${hint})`)
  }
}

export function findEntry(list: ReadonlyArray<Entry>, key: string): Entry | undefined {
  return list.find((e) => e.key === key)
}

/**
 * A string. An unquoted number or boolean gives its source text with a `scalar-as-string` warning
 * (`env 'PORT': number 8080 used as the string "8080" (quote it)`); null gives undefined.
 */
export function readString(c: Cursor, label: string): string | undefined {
  const kind = kindOf(c.node)
  if (kind === 'null') return undefined
  if (kind === 'string') return String((c.node as { value: unknown }).value)
  if ((kind === 'number' || kind === 'boolean') && c.node) {
    const text = sourceText(c.ctx.src, c.node)
    const msg = `${label}: ${kind} ${text} used as the string ${JSON.stringify(text)} (quote it)`
    report(c, 'warning', 'scalar-as-string', msg)
    return text
  }
  wrongType(c, `${label} must be a string`)
  return undefined
}

export function readBool(c: Cursor, label: string): boolean | undefined {
  const kind = kindOf(c.node)
  if (kind === 'null') return undefined
  if (kind === 'boolean') return (c.node as { value: boolean }).value
  wrongType(c, `${label} must be true or false`)
  return undefined
}

/** An integer within [min, max]; out-of-range values are reported by the caller's rule. */
export function readInteger(c: Cursor, label: string): number | undefined {
  const kind = kindOf(c.node)
  if (kind === 'null') return undefined
  const value = (c.node as { value: unknown } | null)?.value
  if (kind === 'number' && Number.isSafeInteger(value)) return value as number
  wrongType(c, `${label} must be an integer`)
  return undefined
}

/** A list of strings (scalars converted as in readString); bad items are reported and dropped. */
export function readStringList(c: Cursor, label: string, itemLabel: string): string[] | undefined {
  const list = items(c, `${label} must be a list of ${itemLabel}s`)
  if (list === undefined) return undefined
  const out: string[] = []
  for (const item of list) {
    const value = readString(item, itemLabel)
    if (value !== undefined) out.push(value)
  }
  return out
}

/** A string-to-string mapping such as `env`, values converted as in readString. */
export function readStringMap(c: Cursor, label: string): Record<string, string> | undefined {
  const list = entries(c, `${label} must be a mapping of names to strings`)
  if (list === undefined) return undefined
  const out: Record<string, string> = {}
  for (const e of list) {
    const value = readString(e.value, `${label} '${e.key}'`)
    if (value !== undefined) out[e.key] = value
  }
  return out
}

/** The plain JavaScript value of a node (aliases expanded), as echoed by the API. */
export function plainValue(c: Cursor): unknown {
  if (c.node === null) return null
  try {
    return c.node.toJS(c.ctx.src.doc, { maxAliasCount: MAX_ALIAS_EXPANSIONS }) as unknown
  } catch (e) {
    report(c, 'error', 'yaml-syntax', `invalid YAML: ${coerceError(e).message}`)
    return null
  }
}

/** A one-of string such as `mode`; reports `code` when the value is not allowed. */
export function readChoice<T extends string>(
  c: Cursor,
  label: string,
  allowed: ReadonlyArray<T>,
  code: string,
): T | undefined {
  const value = readString(c, label)
  if (value === undefined) return undefined
  if ((allowed as ReadonlyArray<string>).includes(value)) return value as T
  const expected = allowed.join(', ')
  report(c, 'error', code, `${label} '${value}' is invalid (expected ${expected})`)
  return undefined
}

/** Remembers a string for the template checks when it contains template syntax. */
export function recordTemplate(c: Cursor, text: string | undefined, use: TemplateUse): void {
  if (text !== undefined && isTemplate(text)) c.ctx.templates.push({ text, site: site(c), use })
}
