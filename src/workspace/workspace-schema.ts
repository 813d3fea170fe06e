/**
 * Shape of one workspace file (WORKSPACE-FORMAT.md §2): reads the YAML AST into drafts of the
 * domain objects and reports every shape problem with its position. Cross-file rules (references,
 * cycles, templates, merging) are the validator's.
 */
import { readAction } from './schema-action.ts'
import {
  MAX_ALIAS_EXPANSIONS,
  checkKeys,
  entries,
  exhausted,
  findEntry,
  isNull,
  kindOf,
  readString,
  report,
  rootCursor,
  site,
} from './schema-reader.ts'
import type { Cursor, Entry, ReadContext } from './schema-reader.ts'
import { readHookLists, readTask } from './schema-task.ts'
import { readTrigger } from './schema-trigger.ts'
import type { FileDefs, SecretDraft, SecretNode } from './schema-types.ts'
import type { YamlFile } from './yaml-source.ts'

const TOP_LEVEL_KEYS = [
  'actions',
  'tasks',
  'triggers',
  'on_success',
  'on_error',
  'on_cancel',
  'on_suspended',
  'secrets',
  'connection_types',
  'connections',
  'mcp_servers',
] as const
const LATER_SECTIONS = ['connection_types', 'connections', 'mcp_servers'] as const
const SECRET_NAME = /^[A-Za-z0-9_]+$/

function readSecretValue(c: Cursor, name: string): SecretNode | undefined {
  const kind = kindOf(c.node)
  if (kind === 'mapping') {
    const group: Array<readonly [string, SecretNode]> = []
    for (const e of entries(c, '') ?? []) {
      checkSecretName(e.keyAt, e.key)
      const value = readSecretValue(e.value, `${name}.${e.key}`)
      if (value) group.push([e.key, value])
    }
    return { kind: 'group', entries: group }
  }
  if (exhausted(c)) return undefined
  if (kind === 'list') {
    report(c, 'error', 'wrong-type', `secret '${name}' must be a string or a mapping, got a list`)
    return undefined
  }
  const text = readString(c, `secret '${name}'`)
  if (text === undefined || text === '') {
    report(c, 'error', 'secret', `secret '${name}' has an empty value`)
    return undefined
  }
  return { kind: 'text', text, site: site(c) }
}

function checkSecretName(at: Cursor, name: string): void {
  if (!SECRET_NAME.test(name)) {
    const msg = `secret '${name}' has invalid characters (use letters, digits, _)`
    report(at, 'error', 'secret', msg)
  }
}

function readSecrets(e: Entry | undefined): SecretDraft[] {
  const out: SecretDraft[] = []
  for (const s of (e && entries(e.value, 'secrets must be a mapping of names to values')) || []) {
    checkSecretName(s.keyAt, s.key)
    const value = readSecretValue(s.value, s.key)
    if (value) out.push({ name: s.key, site: site(s.keyAt), value })
  }
  return out
}

function readLaterSections(list: ReadonlyArray<Entry>): string[] {
  const connectionTypes: string[] = []
  for (const key of LATER_SECTIONS) {
    const e = findEntry(list, key)
    if (!e || isNull(e.value)) continue
    const names = (entries(e.value, `${key} must be a mapping`) ?? []).map((x) => x.key)
    if (key === 'connection_types') connectionTypes.push(...names)
    report(e.keyAt, 'warning', 'unsupported', `${key} are not supported yet (ignored)`)
  }
  return connectionTypes
}

function readSection<T>(
  list: ReadonlyArray<Entry>,
  key: string,
  read: (e: Entry) => T | undefined,
): T[] {
  const e = findEntry(list, key)
  const out: T[] = []
  for (const item of (e && entries(e.value, `${key} must be a mapping of names to definitions`)) ||
    []) {
    const value = read(item)
    if (value !== undefined) out.push(value)
  }
  return out
}

/**
 * Reads one parsed file. `folder` is the default task folder from the file's sub-directory under
 * `.workflows/` (null at its top).
 */
export function readWorkspaceFile(src: YamlFile, folder: string | null): FileDefs {
  const ctx: ReadContext = {
    src,
    issues: [],
    templates: [],
    customTypes: [],
    limits: { aliases: MAX_ALIAS_EXPANSIONS },
  }
  const root = rootCursor(ctx)
  const list = entries(root, 'a workspace file must be a mapping of top-level keys') ?? []
  checkKeys(list, TOP_LEVEL_KEYS, 'workspace file')
  const connectionTypes = readLaterSections(list)
  return {
    file: src.file,
    actions: readSection(list, 'actions', readAction),
    tasks: readSection(list, 'tasks', (e) => readTask(e, folder)),
    triggers: readSection(list, 'triggers', readTrigger),
    secrets: readSecrets(findEntry(list, 'secrets')),
    connectionTypes,
    hooks: readHookLists(list),
    templates: ctx.templates,
    customTypes: ctx.customTypes,
    issues: ctx.issues,
  }
}
