/**
 * One parsed workspace file: the YAML document with its positions, and the mapping from nodes and
 * YAML paths to `file:line:column` used by every diagnostic (WORKSPACE-FORMAT.md §1.4, §10.1).
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml'
import type { Document, Node, YAMLError } from 'yaml'
import type { IssueSeverity, SourceRef, WorkspaceIssue } from './workspace.ts'

export type PathSegment = string | number
export type YamlPath = ReadonlyArray<PathSegment>

/** Where a diagnostic points: a position plus the formatted YAML path. */
export interface Site extends SourceRef {
  readonly path: string
}

export interface YamlFile {
  /** Path relative to the workspace root, `/`-separated. */
  readonly file: string
  readonly text: string
  readonly doc: Document.Parsed
  readonly lineCounter: LineCounter
  /** yaml-syntax and yaml-duplicate-key diagnostics of this file. */
  readonly issues: ReadonlyArray<WorkspaceIssue>
  /**
   * False when the document is broken beyond duplicate keys: its content must not be interpreted.
   * Duplicate keys alone keep it usable (the first occurrence wins), so its other mistakes still show.
   */
  readonly usable: boolean
}

/** The path shown for problems of a whole file or of the document root. */
export const ROOT_PATH = '(root)'

const PLAIN_KEY = /^[^.\s[\]"]+$/

/** `tasks.hello.flow.step`, list items as `[n]`, awkward keys as `["a.b"]` (§10.1). */
export function formatYamlPath(path: YamlPath): string {
  if (path.length === 0) return ROOT_PATH
  let out = ''
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`
    else out += `[${JSON.stringify(seg)}]`
  }
  return out
}

/** 1-based line and column of a character offset. */
export function positionAt(src: YamlFile, offset: number): SourceRef {
  const { line, col } = src.lineCounter.linePos(offset)
  return { file: src.file, line, column: col }
}

/** Position of a node's first character (the document start when the node has no range). */
export function nodePosition(src: YamlFile, node: Node | null | undefined): SourceRef {
  return positionAt(src, node?.range?.[0] ?? 0)
}

/** The position part of a site (domain objects keep positions, not YAML paths). */
export function refOf(site: Site): SourceRef {
  return { file: site.file, line: site.line, column: site.column }
}

export function siteOf(src: YamlFile, node: Node | null | undefined, path: YamlPath): Site {
  return { ...nodePosition(src, node), path: formatYamlPath(path) }
}

export function issueAt(
  site: Site,
  severity: IssueSeverity,
  code: string,
  message: string,
): WorkspaceIssue {
  return {
    severity,
    code,
    file: site.file,
    line: site.line,
    column: site.column,
    path: site.path,
    message,
  }
}

/** The node an alias points at; other nodes are returned unchanged. */
export function resolveNode(src: YamlFile, node: unknown): Node | null {
  if (isAlias(node)) return node.resolve(src.doc) ?? null
  if (isScalar(node) || isMap(node) || isSeq(node)) return node
  return null
}

/** The scalar exactly as written (`0x1F`, `08:30`), used where a string was expected. */
export function sourceText(src: YamlFile, node: Node): string {
  const range = node.range
  if (range) return src.text.slice(range[0], range[1]).trim()
  return isScalar(node) ? String(node.value) : ''
}

/**
 * The node at a YAML path (aliases followed), for mapping a path back to file:line:column.
 * Map keys match by their string form; `undefined` when the path leads nowhere.
 */
export function nodeAtPath(src: YamlFile, path: YamlPath): Node | undefined {
  let node = resolveNode(src, src.doc.contents)
  for (const seg of path) {
    if (node === null) return undefined
    if (typeof seg === 'number') {
      if (!isSeq(node)) return undefined
      node = resolveNode(src, node.items[seg])
    } else {
      if (!isMap(node)) return undefined
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === seg,
      )
      node = resolveNode(src, pair?.value)
    }
  }
  return node ?? undefined
}

/** Position of the value at a YAML path, or undefined when it does not exist. */
export function locatePath(src: YamlFile, path: YamlPath): Site | undefined {
  const node = nodeAtPath(src, path)
  return node === undefined ? undefined : siteOf(src, node, path)
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1)
}

function parseIssue(src: YamlFile, err: YAMLError, severity: IssueSeverity): WorkspaceIssue {
  const path = pathAt(src, err.pos[0])
  const site = { ...positionAt(src, err.pos[0]), path: formatYamlPath(path) }
  if (err.code === 'DUPLICATE_KEY') {
    const key = path.at(-1) ?? src.text.slice(err.pos[0], err.pos[1])
    return issueAt(
      site,
      'error',
      'yaml-duplicate-key',
      `key '${key}' appears twice in this mapping`,
    )
  }
  const message = lowerFirst(err.message.split('\n', 1)[0] ?? err.message).replace(/:$/, '')
  return issueAt(site, severity, 'yaml-syntax', `invalid YAML: ${message}`)
}

function contains(node: unknown, offset: number): boolean {
  const range = (node as Node | null)?.range
  return !!range && range[0] <= offset && offset < Math.max(range[1], range[0] + 1)
}

/** The YAML path of the deepest key or value at `offset` (aliases are not entered). */
function pathAt(src: YamlFile, offset: number): YamlPath {
  const path: PathSegment[] = []
  let node: unknown = src.doc.contents
  for (;;) {
    let next: unknown = undefined
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : ''
        if (contains(pair.key, offset)) return [...path, key]
        if (contains(pair.value, offset)) {
          path.push(key)
          next = pair.value
          break
        }
      }
    } else if (isSeq(node)) {
      const index = node.items.findIndex((item) => contains(item, offset))
      if (index >= 0) {
        path.push(index)
        next = node.items[index]
      }
    }
    if (next === undefined || isScalar(next)) return path
    node = next
  }
}

/**
 * Parses one file with the YAML 1.2 core schema (only true/false are booleans), merge keys left
 * unexpanded, and duplicate keys reported. Never throws: problems become issues.
 */
export function parseYamlFile(file: string, text: string): YamlFile {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, {
    lineCounter,
    uniqueKeys: true,
    schema: 'core',
    version: '1.2',
    merge: false,
    prettyErrors: false,
    keepSourceTokens: false,
    // Problems are returned as issues; nothing may go to the process's warning channel.
    logLevel: 'error',
  })
  const base = { file, text, doc, lineCounter, issues: [], usable: true }
  const issues: WorkspaceIssue[] = []
  for (const err of doc.errors) issues.push(parseIssue(base, err, 'error'))
  for (const warn of doc.warnings) issues.push(parseIssue(base, warn, 'warning'))
  const usable = !issues.some((i) => i.code === 'yaml-syntax' && i.severity === 'error')
  return { ...base, issues, usable }
}
