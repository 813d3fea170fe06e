/**
 * The container fields of an action: a `type: docker` action (`image`, `cmd`, `entrypoint`,
 * `command`) and a script action with `runner: docker` (`image` optional), both with
 * `pull_policy` and `resources` (WORKSPACE-FORMAT.md §3.1, STROEM-REFERENCE.md §1.3).
 */
import {
  entries,
  findEntry,
  kindOf,
  readChoice,
  readString,
  readStringList,
  recordTemplate,
  report,
} from './schema-reader.ts'
import type { Cursor, Entry } from './schema-reader.ts'
import type { TemplateUse } from './schema-types.ts'
import { PULL_POLICIES } from './workspace.ts'
import type { ContainerDef, ContainerResources, PullPolicy } from './workspace.ts'

export const DOCKER_KEYS = ['image', 'cmd', 'entrypoint', 'command', 'pull_policy'] as const

/** Script fields Strøm forbids on a docker action, each reported with its fix. */
export const FOREIGN_DOCKER_KEYS: Readonly<Record<string, string>> = {
  runner: 'a docker action always runs in its image',
  script: 'use a script action with runner: docker',
  source: 'use a script action with runner: docker',
  language: 'use a script action with runner: docker',
  interpreter: 'use a script action with runner: docker',
  args: "use 'command' (exec form)",
  dependencies: 'build them into the image',
  manifest: "'manifest' belongs to runner: pod",
}

/** Docker refuses a memory limit under 6 MiB. */
const MIN_MEMORY_BYTES = 6 * 1024 * 1024
const MAX_CPUS = 1024
const MEMORY_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
}
const MEMORY_RE = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:ib|i|b)?$/i

/** `cpu: 0.5`, `cpu: "2"` or `cpu: 500m` (millicores) as billionths of a CPU; undefined if invalid. */
export function parseCpu(value: unknown): number | undefined {
  let cores: number
  if (typeof value === 'number') cores = value
  else if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim())) cores = Number(value)
  else if (typeof value === 'string' && /^\d+m$/.test(value.trim()))
    cores = Number(value.trim().slice(0, -1)) / 1000
  else return undefined
  if (!Number.isFinite(cores) || cores <= 0 || cores > MAX_CPUS) return undefined
  return Math.round(cores * 1e9)
}

/**
 * `memory: 512m`, `1g`, `256Mi`, `1.5GiB` or a byte count: units are powers of 1024, as with
 * `docker run --memory`; undefined if invalid or under Docker's 6 MiB floor.
 */
export function parseMemory(value: unknown): number | undefined {
  let bytes: number
  if (typeof value === 'number') bytes = value
  else if (typeof value === 'string') {
    const m = MEMORY_RE.exec(value.trim())
    if (!m) return undefined
    bytes = Number(m[1]) * MEMORY_UNITS[m[2]!.toLowerCase()]!
  } else return undefined
  if (!Number.isFinite(bytes) || bytes < MIN_MEMORY_BYTES) return undefined
  return Math.floor(bytes)
}

function scalarOf(c: Cursor): number | string | undefined {
  const kind = kindOf(c.node)
  if (kind !== 'number' && kind !== 'string') return undefined
  return (c.node as { value: number | string }).value
}

/** `resources: {cpu, memory}` of an action that runs in a container. */
export function readResources(list: ReadonlyArray<Entry>): ContainerResources {
  const out = { nanoCpus: null as number | null, memoryBytes: null as number | null }
  const e = findEntry(list, 'resources')
  const fields = e ? entries(e.value, 'resources must be a mapping with cpu and memory') : []
  for (const f of fields ?? []) {
    const raw = scalarOf(f.value)
    if (f.key === 'cpu') {
      const cpus = parseCpu(raw)
      if (cpus === undefined) {
        const msg = `resources.cpu ${describe(f.value)} is invalid (expected a number of CPUs such as 0.5 or 2, or millicores such as 500m; at most ${MAX_CPUS})`
        report(f.value, 'error', 'resources', msg)
      } else out.nanoCpus = cpus
    } else if (f.key === 'memory') {
      const bytes = parseMemory(raw)
      if (bytes === undefined) {
        const msg = `resources.memory ${describe(f.value)} is invalid (expected a size such as 256m, 1g or 512Mi, at least 6m)`
        report(f.value, 'error', 'resources', msg)
      } else out.memoryBytes = bytes
    } else {
      const msg = `unknown key '${f.key}' on resources (ignored; expected cpu, memory)`
      report(f.keyAt, 'warning', 'unknown-key', msg)
    }
  }
  return out
}

function describe(c: Cursor): string {
  const v = scalarOf(c)
  return v === undefined ? `(a ${kindOf(c.node)})` : `'${String(v)}'`
}

function readPullPolicy(list: ReadonlyArray<Entry>): PullPolicy {
  const e = findEntry(list, 'pull_policy')
  return (
    (e && readChoice(e.value, 'pull_policy', PULL_POLICIES, 'docker-field')) || 'if_not_present'
  )
}

function readImage(list: ReadonlyArray<Entry>, use: TemplateUse): string | null {
  const e = findEntry(list, 'image')
  if (!e) return null
  const text = readString(e.value, 'image')
  if (text !== undefined && text.trim() === '') {
    report(e.value, 'error', 'docker-image', 'image is empty')
    return null
  }
  recordTemplate(e.value, text, use)
  return text ?? null
}

function readExecForm(list: ReadonlyArray<Entry>, key: 'entrypoint' | 'command') {
  const e = findEntry(list, key)
  if (!e) return null
  return readStringList(e.value, key, `${key} item`) ?? null
}

/** A `type: docker` action: the image is required; Strøm's script fields are errors. */
export function readDockerAction(
  at: Cursor,
  list: ReadonlyArray<Entry>,
  use: TemplateUse,
): ContainerDef {
  const image = readImage(list, use)
  const imageEntry = findEntry(list, 'image')
  if (!imageEntry) {
    const msg = "docker action needs an 'image' (the image to run, e.g. alpine:3.20)"
    report(at, 'error', 'docker-image', msg)
  }
  const cmdEntry = findEntry(list, 'cmd')
  const cmd = cmdEntry ? (readString(cmdEntry.value, 'cmd') ?? null) : null
  const entrypoint = readExecForm(list, 'entrypoint')
  const command = readExecForm(list, 'command')
  if (cmdEntry && command !== null) {
    const msg = "'cmd' is ignored when 'command' is set (command is the exec form; keep one)"
    report(cmdEntry.keyAt, 'warning', 'docker-field', msg)
  }
  for (const e of list) {
    const fix = FOREIGN_DOCKER_KEYS[e.key]
    if (fix)
      report(e.keyAt, 'error', 'action-field', `'${e.key}' is not valid on a docker action; ${fix}`)
  }
  return {
    image,
    cmd,
    entrypoint,
    command,
    pullPolicy: readPullPolicy(list),
    resources: readResources(list),
  }
}

/** A script action with `runner: docker`: its own `image` if it names one. */
export function readScriptContainer(list: ReadonlyArray<Entry>, use: TemplateUse): ContainerDef {
  return {
    image: readImage(list, use),
    cmd: null,
    entrypoint: null,
    command: null,
    pullPolicy: readPullPolicy(list),
    resources: readResources(list),
  }
}
