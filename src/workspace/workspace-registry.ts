/**
 * Keeps, per configured workspace, the last good version and the issues of the last failed load.
 * A failed reload never replaces a good version. Older versions stay reachable by revision so
 * jobs planned from them keep their definitions.
 *
 * Loading has two steps: the workspace's own files (a folder, or a git commit), with the
 * libraries imported; then linking, which gives steps naming another workspace's action
 * (`other.name`) that workspace's serving version of it (link-workspace.ts). When a workspace's
 * serving version changes, the workspaces that take actions from it are linked again.
 */
import { join } from 'node:path'
import { NotFoundError, BadRequestError, coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import type { ReferenceScope } from './action-refs.ts'
import { GitSource, type GitSourceSpec } from './git-source.ts'
import type { LibrarySet } from './library-set.ts'
import { linkWorkspace, linkedWorkspaces, referenceIssues } from './link-workspace.ts'
import { deepFreeze } from './load-workspace.ts'
import type { LoadResult, TaskDef, Workspace, WorkspaceIssue } from './workspace.ts'
import { formatIssue, sortIssues } from './workspace.ts'

export interface WorkspaceSource {
  readonly type: 'folder' | 'git'
  /** `folder`: the workspace root. */
  readonly path?: string
  /** `git`: the remote, and how often it is asked for a new commit. */
  readonly git?: GitSourceSpec & { readonly pollIntervalSecs: number }
}

export interface WorkspaceEntry {
  readonly name: string
  readonly source: WorkspaceSource
  /** Last good version, or null when the workspace never loaded. */
  readonly current: Workspace | null
  /** Errors of the last failed load (empty when the last load succeeded). */
  readonly issues: ReadonlyArray<WorkspaceIssue>
  /** Diagnostics of the last failed load in text form (one per line), or null. */
  readonly error: string | null
  /** Revision of the last attempted load (may differ from current.revision after a failure). */
  readonly attemptedRevision: string | null
  readonly loaded: boolean
}

export type WorkspaceLoader = (
  name: string,
  root: string,
  opts: { readonly revision?: string; readonly scope: ReferenceScope },
) => Promise<LoadResult>
export type RegistryListener = (entry: WorkspaceEntry, previous: Workspace | null) => void

const MAX_KEPT_VERSIONS = 20

export class WorkspaceRegistry {
  readonly #entries = new Map<string, WorkspaceEntry>()
  readonly #versions = new Map<string, Map<string, Workspace>>()
  readonly #listeners = new Set<RegistryListener>()
  readonly #loader: WorkspaceLoader
  readonly #logger: Logger
  readonly #inFlight = new Map<string, Promise<WorkspaceEntry>>()
  /** Each workspace's last good load before linking, and what its links resolved to. */
  readonly #raw = new Map<string, Workspace>()
  readonly #signatures = new Map<string, string>()
  readonly #git = new Map<string, GitSource>()
  readonly #libraries: LibrarySet | null

  constructor(opts: {
    sources: Readonly<Record<string, WorkspaceSource>>
    loader: WorkspaceLoader
    logger: Logger
    /** Git workspaces clone under `<cacheDir>/workspaces/<name>`; git runs with `env`. */
    git?: { readonly cacheDir: string; readonly env: Readonly<Record<string, string | undefined>> }
    libraries?: LibrarySet
  }) {
    this.#loader = opts.loader
    this.#logger = opts.logger
    this.#libraries = opts.libraries ?? null
    for (const [name, source] of Object.entries(opts.sources)) {
      this.#entries.set(name, emptyEntry(name, source))
      if (source.type === 'git' && source.git && opts.git) {
        const dir = join(opts.git.cacheDir, 'workspaces', name)
        this.#git.set(name, new GitSource({ spec: source.git, dir, env: opts.git.env }))
      }
    }
  }

  /** The server's libraries, if any are configured. */
  get libraries(): LibrarySet | null {
    return this.#libraries
  }

  /**
   * Loads the libraries, then every workspace once, then links them (a workspace taking actions
   * from another is linked after it); a broken one is logged and serves nothing, the rest work.
   */
  async loadAll(): Promise<void> {
    await this.#libraries?.refresh()
    const names = [...this.#entries.keys()]
    const loaded = await Promise.all(names.map((name) => this.#load(this.#mustGet(name))))
    const pending = new Map<string, Workspace>()
    const failed: Array<[string, LoadResult & { ok: false }]> = []
    loaded.forEach((result, i) => {
      const name = names[i]!
      if (result.ok) pending.set(name, result.workspace)
      else failed.push([name, result])
    })
    for (let progress = true; progress && pending.size > 0;) {
      progress = false
      for (const [name, raw] of pending) {
        if ([...linkedWorkspaces(raw)].some((other) => pending.has(other))) continue
        pending.delete(name)
        this.#commitRaw(name, raw)
        progress = true
      }
    }
    // Workspaces taking actions from each other: link against the fresh loads.
    const cycle = new Map(pending)
    for (const [name, raw] of cycle) {
      this.#commitRaw(name, raw, (other) => cycle.get(other) ?? null)
    }
    for (const [name, result] of failed) this.#commit(name, this.#withReferenceIssues(name, result))
  }

  /** A failed load's issues plus those of its references to other workspaces (all at once). */
  #withReferenceIssues(name: string, result: LoadResult & { ok: false }): LoadResult {
    const refs = result.references ?? []
    if (refs.length === 0) return result
    const more = referenceIssues(name, refs, (other) => this.#serving(other))
    return more.length === 0
      ? result
      : { ...result, issues: sortIssues([...result.issues, ...more]) }
  }

  /** Loads the libraries again and, when they changed, every workspace. */
  async refreshLibraries(): Promise<void> {
    if (!this.#libraries || !(await this.#libraries.refresh())) return
    await Promise.all([...this.#entries.keys()].map((name) => this.reload(name)))
  }

  /** Reloads one workspace now; concurrent calls for the same name share one load. */
  reload(name: string): Promise<WorkspaceEntry> {
    const running = this.#inFlight.get(name)
    if (running) return running
    const p = this.#reload(name).finally(() => this.#inFlight.delete(name))
    this.#inFlight.set(name, p)
    return p
  }

  async #reload(name: string): Promise<WorkspaceEntry> {
    const result = await this.#load(this.#mustGet(name))
    if (result.ok) this.#commitRaw(name, result.workspace)
    else this.#commit(name, this.#withReferenceIssues(name, result))
    return this.#mustGet(name)
  }

  /** Links a fresh load and serves it, or records why it cannot be served. */
  #commitRaw(name: string, raw: Workspace, fallback?: (name: string) => Workspace | null): void {
    this.#raw.set(name, raw)
    const link = linkWorkspace(raw, (other) => this.#serving(other) ?? fallback?.(other) ?? null)
    if (!link.ok) {
      const issues = sortIssues([...link.issues, ...raw.issues])
      this.#commit(name, { ok: false, issues, revision: raw.revision })
      return
    }
    this.#signatures.set(name, link.signature)
    this.#commit(name, { ok: true, workspace: deepFreeze(link.workspace) })
  }

  #serving(name: string): Workspace | null {
    return this.#entries.get(name)?.current ?? null
  }

  #commit(name: string, result: LoadResult): void {
    const before = this.#mustGet(name)
    const previous = before.current
    const entry: WorkspaceEntry = result.ok
      ? {
          ...before,
          current: result.workspace,
          issues: [],
          error: null,
          attemptedRevision: result.workspace.revision,
          loaded: true,
        }
      : {
          ...before,
          issues: result.issues,
          error: result.issues.map(formatIssue).join('\n'),
          attemptedRevision: result.revision,
          loaded: true,
        }
    this.#entries.set(name, entry)
    if (result.ok) {
      this.#keepVersion(result.workspace)
      const warnings = result.workspace.issues.length
      if (previous?.revision !== result.workspace.revision) {
        this.#logger.info(
          { workspace: name, revision: result.workspace.revision, warnings },
          'workspace loaded',
        )
      }
    } else {
      this.#logger.error(
        { workspace: name, issues: result.issues.length, keptRevision: previous?.revision ?? null },
        `workspace '${name}' has errors${previous ? '; the last good version keeps serving' : ''}:\n${entry.error}`,
      )
    }
    for (const listener of this.#listeners) listener(entry, previous)
    if (entry.current !== previous) this.#relinkDependents(name)
  }

  /**
   * Links again the workspaces taking actions from `changed`. One whose links resolve as before
   * is left alone, so workspaces naming each other settle after one round.
   */
  #relinkDependents(changed: string): void {
    for (const [name, raw] of this.#raw) {
      if (name === changed || !linkedWorkspaces(raw).has(changed)) continue
      const entry = this.#mustGet(name)
      const link = linkWorkspace(raw, (other) => this.#serving(other))
      const same = link.ok && entry.error === null && link.signature === this.#signatures.get(name)
      if (!same) this.#commitRaw(name, raw)
    }
  }

  /** One workspace's files, loaded and validated (not linked yet). */
  async #load(entry: WorkspaceEntry): Promise<LoadResult> {
    const issue = (message: string, code: string): LoadResult => ({
      ok: false,
      revision: null,
      issues: [
        {
          severity: 'error',
          code,
          file: '.',
          line: 1,
          column: 1,
          path: `workspaces.${entry.name}`,
          message,
        },
      ],
    })
    const scope: ReferenceScope = {
      self: entry.name,
      libraries: this.#libraries?.imports() ?? new Map(),
      workspaces: new Set(this.#entries.keys()),
    }
    if (entry.source.type === 'git') {
      const git = this.#git.get(entry.name)
      if (!git) return issue('git workspaces need a cache folder (workspace_cache_dir)', 'git')
      let snap
      try {
        snap = await git.sync()
      } catch (e) {
        return issue(coerceError(e).message, 'git')
      }
      try {
        return await this.#loader(entry.name, snap.root, { revision: snap.revision, scope })
      } catch (e) {
        return issue(
          `could not load commit ${snap.revision}: ${coerceError(e).message}`,
          'load-failed',
        )
      }
    }
    if (!entry.source.path) return issue('a folder workspace needs a path', 'load-failed')
    try {
      return await this.#loader(entry.name, entry.source.path, { scope })
    } catch (e) {
      return issue(
        `could not load workspace folder ${entry.source.path}: ${coerceError(e).message}`,
        'load-failed',
      )
    }
  }

  #keepVersion(ws: Workspace): void {
    let versions = this.#versions.get(ws.name)
    if (!versions) this.#versions.set(ws.name, (versions = new Map<string, Workspace>()))
    versions.delete(ws.revision)
    versions.set(ws.revision, ws)
    while (versions.size > MAX_KEPT_VERSIONS) versions.delete(versions.keys().next().value!)
  }

  #mustGet(name: string): WorkspaceEntry {
    const entry = this.#entries.get(name)
    if (!entry) throw new NotFoundError(`workspace '${name}' not found`)
    return entry
  }

  onChange(listener: RegistryListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Every configured workspace, sorted by name. */
  list(): WorkspaceEntry[] {
    return [...this.#entries.values()].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    )
  }

  /** The entry (404 when the workspace is not configured). */
  getEntry(name: string): WorkspaceEntry {
    return this.#mustGet(name)
  }

  /** The serving version of a workspace; 404 for an unknown one, 404 naming the errors for one that never loaded. */
  getWorkspace(name: string): Workspace {
    const entry = this.#mustGet(name)
    if (!entry.current) {
      throw new NotFoundError(
        `workspace '${name}' has no valid version to serve: ${entry.error ?? 'not loaded yet'}`,
      )
    }
    return entry.current
  }

  /** A task of the serving version; 404 naming both names when unknown. */
  getTask(workspace: string, task: string): { workspace: Workspace; task: TaskDef } {
    const ws = this.getWorkspace(workspace)
    const def = ws.tasks.get(task)
    if (!def) throw new NotFoundError(`task '${task}' not found in workspace '${workspace}'`)
    return { workspace: ws, task: def }
  }

  /** A task that can be executed now (400 when it uses a feature this release does not run). */
  getRunnableTask(workspace: string, task: string): { workspace: Workspace; task: TaskDef } {
    const found = this.getTask(workspace, task)
    if (found.task.unavailable) {
      throw new BadRequestError(`task '${task}' is unavailable: ${found.task.unavailable}`)
    }
    return found
  }

  /** A kept version by revision (jobs planned from it), or undefined once evicted. */
  getVersion(name: string, revision: string): Workspace | undefined {
    return this.#versions.get(name)?.get(revision)
  }

  /**
   * The version a job was planned from, or the serving one once that was evicted (undefined when
   * the workspace is gone or has never loaded).
   */
  versionOf(name: string, revision: string): Workspace | undefined {
    return this.getVersion(name, revision) ?? this.#entries.get(name)?.current ?? undefined
  }

  /** True once every configured workspace has been tried at least once. */
  allTried(): boolean {
    return [...this.#entries.values()].every((e) => e.loaded)
  }
}

function emptyEntry(name: string, source: WorkspaceSource): WorkspaceEntry {
  return {
    name,
    source,
    current: null,
    issues: [],
    error: null,
    attemptedRevision: null,
    loaded: false,
  }
}
