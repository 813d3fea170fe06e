/**
 * Loads a folder workspace (WORKSPACE-FORMAT.md §1.2, §1.3): the only file-system access of the
 * workspace layer. Reads every file once, hashing it into the revision and keeping the definition
 * files, then validates them and freezes the result.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { systemClock, type Clock } from '../shared/clock.ts'
import { coerceError } from '../shared/errors.ts'
import { RevisionHash } from './revision.ts'
import { validateWorkspace } from './validate-workspace.ts'
import type { ValidatedDefinitions, WorkspaceDocument } from './validate-workspace.ts'
import type { ReferenceScope } from './action-refs.ts'
import type { LoadResult, Workspace, WorkspaceIssue } from './workspace.ts'
import { sortIssues } from './workspace.ts'
import { ROOT_PATH, parseYamlFile } from './yaml-source.ts'

export interface LoadOptions {
  /** Environment visible to `get_env` in secret values. */
  readonly secretsEnv?: Readonly<Record<string, string | undefined>>
  /** Behind `now()` in secret values. Default: the system clock. */
  readonly clock?: Pick<Clock, 'now'>
  /** The revision to record instead of the content hash (a git workspace's commit SHA). */
  readonly revision?: string
  /** Libraries to import and workspaces that dotted action names may name (ValidateOptions). */
  readonly scope?: ReferenceScope
}

const DEFINITIONS_DIR = '.workflows'
/** Directories below the definitions folder that are still scanned (Strøm's walk depth). */
const MAX_DEPTH = 10
const YAML_FILE = /\.ya?ml$/
const SOPS_FILE = /\.sops\.ya?ml$/

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Every file under `root` as a relative `/`-separated path, sorted; `.git/` is left out. */
async function listFiles(root: string, dir = ''): Promise<string[]> {
  const found: string[] = []
  const entries = await readdir(join(root, dir), { withFileTypes: true })
  for (const entry of entries) {
    const rel = dir === '' ? entry.name : `${dir}/${entry.name}`
    if (entry.isDirectory()) {
      if (rel !== '.git') found.push(...(await listFiles(root, rel)))
    } else if (entry.isFile()) found.push(rel)
    else if (entry.isSymbolicLink()) {
      // Linked files count; linked directories are not followed, so a link loop cannot hang a load.
      const target = await stat(join(root, rel)).catch(() => null)
      if (target?.isFile()) found.push(rel)
    }
  }
  return found.sort(compare)
}

/** Hex content revision over every file path and content under the root (`.git/` excluded). */
export async function computeRevision(root: string): Promise<string> {
  const hash = new RevisionHash()
  for (const path of await listFiles(root)) hash.add(path, await readFile(join(root, path)))
  return hash.digest()
}

function fileIssue(
  file: string,
  code: string,
  severity: WorkspaceIssue['severity'],
  message: string,
): WorkspaceIssue {
  return { severity, code, file, line: 1, column: 1, path: ROOT_PATH, message }
}

/** Definition files (`.workflows/` if present, else the root), and the folder each defaults to. */
function definitionFiles(files: ReadonlyArray<string>, hasDefinitionsDir: boolean) {
  const prefix = hasDefinitionsDir ? `${DEFINITIONS_DIR}/` : ''
  return files
    .filter((f) => f.startsWith(prefix) && YAML_FILE.test(f))
    .map((f) => ({ file: f, dirs: f.slice(prefix.length).split('/').slice(0, -1) }))
    .filter((f) => f.dirs.length < MAX_DEPTH)
    .map((f) => ({ file: f.file, folder: f.dirs.length > 0 ? f.dirs.join('/') : null }))
}

interface Collected {
  readonly revision: string
  readonly documents: WorkspaceDocument[]
  readonly files: ReadonlySet<string>
  readonly issues: WorkspaceIssue[]
}

async function collect(root: string): Promise<Collected> {
  const files = await listFiles(root)
  const hasDefinitionsDir = await stat(join(root, DEFINITIONS_DIR))
    .then((s) => s.isDirectory())
    .catch(() => false)
  const wanted = new Map(definitionFiles(files, hasDefinitionsDir).map((d) => [d.file, d.folder]))
  const hash = new RevisionHash()
  const documents: WorkspaceDocument[] = []
  const issues: WorkspaceIssue[] = []
  for (const path of files) {
    const content = await readFile(join(root, path))
    hash.add(path, content)
    const folder = wanted.get(path)
    if (folder === undefined) continue
    if (SOPS_FILE.test(path)) {
      const msg = 'SOPS-encrypted files are not supported yet (file skipped)'
      issues.push(fileIssue(path, 'unsupported', 'warning', msg))
      continue
    }
    const text = content.toString('utf8').replace(/^\uFEFF/, '')
    documents.push({ source: parseYamlFile(path, text), folder })
  }
  return { revision: hash.digest(), documents, files: new Set(files), issues }
}

/** Freezes a value and everything reachable from it; maps also refuse `set`/`delete`/`clear`. */
export function deepFreeze<T>(value: T, seen = new Set<unknown>()): T {
  if (typeof value !== 'object' || value === null || seen.has(value)) return value
  // Frozen already (a linked version shares the loaded one's definitions).
  if (Object.isFrozen(value)) return value
  seen.add(value)
  if (value instanceof Map) {
    for (const [k, v] of value) {
      deepFreeze(k, seen)
      deepFreeze(v, seen)
    }
    const refuse = (): never => {
      throw new TypeError('a loaded workspace is read-only')
    }
    for (const method of ['set', 'delete', 'clear']) {
      Object.defineProperty(value, method, { value: refuse, enumerable: false })
    }
  } else {
    for (const v of Object.values(value)) deepFreeze(v, seen)
  }
  return Object.freeze(value)
}

/**
 * Loads, validates and freezes one workspace. `root` is absolute; issue paths are relative to it.
 * Any error rejects the whole revision: the result then carries every issue, sorted.
 */
export async function loadWorkspace(
  name: string,
  root: string,
  opts: LoadOptions = {},
): Promise<LoadResult> {
  let collected: Collected
  try {
    collected = await collect(root)
  } catch (e) {
    const msg = `cannot read workspace root '${root}': ${coerceError(e).message}`
    return { ok: false, issues: [fileIssue('.', 'workspace-root', 'error', msg)], revision: null }
  }
  const result = validateWorkspace(collected.documents, {
    files: collected.files,
    secretsEnv: opts.secretsEnv,
    clock: opts.clock ?? systemClock,
    scope: opts.scope,
  })
  const revision = opts.revision ?? collected.revision
  const issues = sortIssues([...collected.issues, ...result.issues])
  if (issues.some((i) => i.severity === 'error')) {
    return { ok: false, issues, revision, references: result.references }
  }
  const workspace: Workspace = {
    name,
    root,
    revision,
    actions: result.actions,
    tasks: result.tasks,
    triggers: result.triggers,
    secrets: result.secrets,
    hooks: result.hooks,
    issues,
    ...(result.references.length > 0 ? { references: result.references } : {}),
  }
  return { ok: true, workspace: deepFreeze(workspace) }
}

/** A library's definitions, validated as a workspace of their own, or every problem with them. */
export async function loadLibraryDefinitions(
  root: string,
  opts: { readonly clock?: Pick<Clock, 'now'> } = {},
): Promise<
  | { readonly ok: true; readonly defs: ValidatedDefinitions; readonly revision: string }
  | { readonly ok: false; readonly issues: ReadonlyArray<WorkspaceIssue> }
> {
  let collected: Collected
  try {
    collected = await collect(root)
  } catch (e) {
    const msg = `cannot read library root '${root}': ${coerceError(e).message}`
    return { ok: false, issues: [fileIssue('.', 'workspace-root', 'error', msg)] }
  }
  const defs = validateWorkspace(collected.documents, {
    files: collected.files,
    clock: opts.clock ?? systemClock,
  })
  const issues = sortIssues([...collected.issues, ...defs.issues])
  if (issues.some((i) => i.severity === 'error')) return { ok: false, issues }
  return { ok: true, defs, revision: collected.revision }
}
