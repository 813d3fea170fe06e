/**
 * Keeps, per configured workspace, the last good version and the issues of the last failed load.
 * A failed reload never replaces a good version. Older versions stay reachable by revision so
 * jobs planned from them keep their definitions.
 */
import { NotFoundError, BadRequestError, coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import type { LoadResult, TaskDef, Workspace, WorkspaceIssue } from './workspace.ts'
import { formatIssue } from './workspace.ts'

export interface WorkspaceSource {
  readonly type: 'folder' | 'git'
  readonly path?: string
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

export type WorkspaceLoader = (name: string, root: string) => Promise<LoadResult>
export type RegistryListener = (entry: WorkspaceEntry, previous: Workspace | null) => void

const MAX_KEPT_VERSIONS = 20

export class WorkspaceRegistry {
  readonly #entries = new Map<string, WorkspaceEntry>()
  readonly #versions = new Map<string, Map<string, Workspace>>()
  readonly #listeners = new Set<RegistryListener>()
  readonly #loader: WorkspaceLoader
  readonly #logger: Logger
  readonly #inFlight = new Map<string, Promise<WorkspaceEntry>>()

  constructor(opts: {
    sources: Readonly<Record<string, WorkspaceSource>>
    loader: WorkspaceLoader
    logger: Logger
  }) {
    this.#loader = opts.loader
    this.#logger = opts.logger
    for (const [name, source] of Object.entries(opts.sources)) {
      this.#entries.set(name, emptyEntry(name, source))
    }
  }

  /** Loads every workspace once; a broken one is logged and serves nothing, the rest work. */
  async loadAll(): Promise<void> {
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
    const before = this.#mustGet(name)
    const result = await this.#load(before)
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
    return entry
  }

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
    if (entry.source.type !== 'folder' || !entry.source.path) {
      return issue(
        `workspace type '${entry.source.type}' is not supported yet (use type: folder)`,
        'unsupported',
      )
    }
    try {
      return await this.#loader(entry.name, entry.source.path)
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
