/**
 * Strøm's server-config.yaml keys (STROEM-REFERENCE.md §11.2) that Weir's schema does not have
 * under the same name: the ones with a Weir equivalent are moved onto it, the others are removed
 * with one warning each, so a Strøm file starts Weir unchanged. Pure: works on the parsed YAML
 * tree, before the environment and flags are applied (they name Weir's keys and win).
 */

type Tree = Record<string, unknown>

export interface StroemKeysResult {
  readonly warnings: ReadonlyArray<string>
  readonly issues: ReadonlyArray<string>
}

/** Strøm keys with no Weir equivalent, by YAML path, with why Weir can do without them. */
const IGNORED: ReadonlyArray<readonly [path: string, reason: string]> = [
  ['acl', 'access is by role (admin, member, viewer), with no per-workspace rules'],
  ['mcp', 'there is no MCP endpoint'],
  ['agents', 'there are no agent steps'],
  ['auth.base_url', 'there is no OIDC login and no CORS to restrict'],
  ['auth.providers', 'only password login and API keys are supported'],
  ['log_storage.archive', 'job logs stay in log_storage.local_dir until retention deletes them'],
  ['log_storage.s3', 'job logs stay in log_storage.local_dir until retention deletes them'],
  ['recovery.sweep_interval_secs', 'expired leases and lost workers are swept every second'],
  [
    'recovery.unmatched_step_timeout_secs',
    'a step no worker can take waits, bounded by its job timeout',
  ],
]

/** Strøm keys moved onto Weir's own, with how their value is read. */
const MOVED: ReadonlyArray<{
  readonly from: string
  readonly to: string
  readonly read: (v: unknown) => number | string
}> = [
  {
    from: 'recovery.heartbeat_timeout_secs',
    to: 'workers.lost_after_secs',
    read: (v) => intIn(v, 10, 3600),
  },
  {
    from: 'default_step_timeout',
    to: 'defaults.step_timeout_secs',
    read: (v) => durationUpTo(v, 86_400),
  },
  {
    from: 'default_job_timeout',
    to: 'defaults.job_timeout_secs',
    read: (v) => durationUpTo(v, 604_800),
  },
]

/** Sections that exist only in Strøm: emptied by the two tables above, then removed. */
const STROEM_SECTIONS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  [
    'recovery',
    new Set(['heartbeat_timeout_secs', 'sweep_interval_secs', 'unmatched_step_timeout_secs']),
  ],
])

/** Keys of Strøm's archive settings that a local archive does not use. */
const ARCHIVE_ONLY_S3 = ['bucket', 'region', 'endpoint', 'prefix'] as const

const ignoredWarning = (path: string, reason: string) =>
  `${path}: Strøm setting ignored by Weir (${reason})`

/** Moves or removes every Strøm-only key of `tree` (in place); returns the warnings and issues. */
export function adoptStroemKeys(tree: Tree): StroemKeysResult {
  const warnings: string[] = []
  const issues: string[] = []
  for (const [section, keys] of STROEM_SECTIONS) {
    const value = tree[section]
    if (value === undefined) continue
    if (!isTree(value)) {
      issues.push(`${section}: expected a mapping`)
      delete tree[section]
      continue
    }
    for (const key of Object.keys(value)) {
      if (!keys.has(key)) issues.push(`${section}.${key}: unknown key`)
    }
  }
  for (const { from, to, read } of MOVED) {
    const path = from.split('.')
    if (!has(tree, path)) continue
    const value = read(take(tree, path))
    if (typeof value === 'string') issues.push(`${from}: ${value}`)
    else if (has(tree, to.split('.'))) issues.push(`${from}: ${to} is also set; set only one`)
    else put(tree, to.split('.'), value)
  }
  for (const [from, reason] of IGNORED) {
    const path = from.split('.')
    if (!has(tree, path)) continue
    take(tree, path)
    warnings.push(ignoredWarning(from, reason))
  }
  for (const section of STROEM_SECTIONS.keys()) delete tree[section]
  for (const storage of ['artifact_storage', 'state_storage'] as const) {
    adoptArchive(tree, storage, warnings)
  }
  return { warnings, issues }
}

/**
 * Strøm's archive may be S3 or carry S3 keys; Weir keeps files in a local folder. An S3 archive
 * is dropped (artifacts fall back to the default folder, state to the artifacts' archive).
 */
function adoptArchive(tree: Tree, storage: string, warnings: string[]): void {
  const section = tree[storage]
  if (!isTree(section) || !isTree(section.archive)) return
  const archive = section.archive
  if (archive.type === 's3') {
    delete section.archive
    const fallback =
      storage === 'state_storage' ? 'the artifact_storage archive' : 'the local folder .weir'
    warnings.push(
      ignoredWarning(`${storage}.archive`, `only local archives are supported; using ${fallback}`),
    )
    return
  }
  for (const key of ARCHIVE_ONLY_S3) {
    if (!(key in archive)) continue
    delete archive[key]
    warnings.push(ignoredWarning(`${storage}.archive.${key}`, 'a local archive uses only path'))
  }
}

function intIn(v: unknown, min: number, max: number): number | string {
  if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v
  return `expected an integer from ${min} to ${max}, got ${JSON.stringify(v)}`
}

/** Strøm's duration (§1.11): seconds, or `<n>h`, `<n>m`, `<n>s` groups (`1h30m`). */
function durationUpTo(v: unknown, max: number): number | string {
  let secs: number | undefined
  if (typeof v === 'number' && Number.isInteger(v)) secs = v
  else if (typeof v === 'string' && /^(\d+[hms])+$/.test(v)) {
    secs = 0
    for (const m of v.matchAll(/(\d+)([hms])/g)) {
      secs += Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1)
    }
  }
  if (secs === undefined)
    return `expected a duration such as 30m or 1h30m, got ${JSON.stringify(v)}`
  if (secs <= 0 || secs > max) return `expected a duration from 1s to ${max}s, got ${secs}s`
  return secs
}

function isTree(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function has(tree: Tree, path: ReadonlyArray<string>): boolean {
  let node: unknown = tree
  for (const key of path) {
    if (!isTree(node) || !Object.hasOwn(node, key)) return false
    node = node[key]
  }
  return true
}

function take(tree: Tree, path: ReadonlyArray<string>): unknown {
  const parent = path.slice(0, -1).reduce<unknown>((n, k) => (isTree(n) ? n[k] : undefined), tree)
  if (!isTree(parent)) return undefined
  const last = path[path.length - 1]!
  const value = parent[last]
  delete parent[last]
  return value
}

function put(tree: Tree, path: ReadonlyArray<string>, value: unknown): void {
  let node = tree
  for (const key of path.slice(0, -1)) {
    if (!isTree(node[key])) node[key] = {}
    node = node[key] as Tree
  }
  node[path[path.length - 1]!] = value
}
