/**
 * The server's libraries (server config `libraries`, STROEM-REFERENCE.md §1.1): folders or git
 * repositories whose actions and tasks every workspace imports as `<library>.<name>`. A library
 * is validated on its own; one with errors, or whose remote cannot be reached, keeps its last good
 * version, and without one the workspaces that name it report why.
 */
import { join } from 'node:path'
import type { Clock } from '../shared/clock.ts'
import { coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import type { LibraryImport } from './action-refs.ts'
import { GitSource, type GitSourceSpec } from './git-source.ts'
import { importLibrary } from './library-import.ts'
import { loadLibraryDefinitions } from './load-workspace.ts'
import { formatIssue } from './workspace.ts'

export type LibrarySource =
  | { readonly type: 'folder'; readonly path: string }
  | { readonly type: 'git'; readonly git: GitSourceSpec; readonly pollIntervalSecs: number }

export interface LibrarySetOptions {
  readonly sources: Readonly<Record<string, LibrarySource>>
  /** Clones and checkouts of git libraries go under `<cacheDir>/libraries/<name>`. */
  readonly cacheDir: string
  /** The environment git runs with. */
  readonly env: Readonly<Record<string, string | undefined>>
  readonly logger: Logger
  readonly clock?: Pick<Clock, 'now'>
}

/** Revisions whose files stay reachable (for jobs planned from them and for archives). */
const KEPT_ROOTS = 20

interface LibraryState {
  current: LibraryImport
  /** Revision -> root of the versions served, newest last. */
  readonly roots: Map<string, string>
}

export class LibrarySet {
  readonly #o: LibrarySetOptions
  readonly #git = new Map<string, GitSource>()
  readonly #state = new Map<string, LibraryState>()

  constructor(o: LibrarySetOptions) {
    this.#o = o
    for (const [name, source] of Object.entries(o.sources)) {
      if (source.type === 'git') {
        const dir = join(o.cacheDir, 'libraries', name)
        this.#git.set(name, new GitSource({ spec: source.git, dir, env: o.env }))
      }
      const current: LibraryImport = { ok: false, name, error: 'not loaded yet' }
      this.#state.set(name, { current, roots: new Map() })
    }
  }

  get names(): ReadonlyArray<string> {
    return [...this.#state.keys()]
  }

  /** Each library's import as workspaces see it now. */
  imports(): ReadonlyMap<string, LibraryImport> {
    return new Map([...this.#state].map(([name, s]) => [name, s.current]))
  }

  /** The shortest poll interval of the git libraries, or null when there is none. */
  get pollIntervalSecs(): number | null {
    const secs = Object.values(this.#o.sources).flatMap((s) =>
      s.type === 'git' ? [s.pollIntervalSecs] : [],
    )
    return secs.length === 0 ? null : Math.min(...secs)
  }

  /** The files of a library revision still kept, or null. */
  rootOf(name: string, revision: string): string | null {
    return this.#state.get(name)?.roots.get(revision) ?? null
  }

  /** A configured library's source type and serving revision; undefined for an unknown name. */
  describe(name: string): { type: 'folder' | 'git'; serving: string | null } | undefined {
    const source = this.#o.sources[name]
    const state = this.#state.get(name)
    if (!source || !state) return undefined
    return { type: source.type, serving: state.current.ok ? state.current.revision : null }
  }

  /** Loads every library again; true when what workspaces import changed. */
  async refresh(): Promise<boolean> {
    const changed = await Promise.all(this.names.map((name) => this.#refreshOne(name)))
    return changed.some(Boolean)
  }

  async #refreshOne(name: string): Promise<boolean> {
    const state = this.#state.get(name)!
    const before = state.current
    const next = await this.#load(name)
    if (!next.ok && before.ok) {
      this.#o.logger.error(
        { library: name, keptRevision: before.revision },
        `library '${name}' failed to load; its last good version keeps serving: ${next.error}`,
      )
      return false
    }
    if (!next.ok) {
      if (before.ok || before.error !== next.error) {
        this.#o.logger.error({ library: name }, `library '${name}' failed to load: ${next.error}`)
      }
      state.current = next
      return before.ok || before.error !== next.error
    }
    state.current = next
    state.roots.delete(next.revision)
    state.roots.set(next.revision, next.root)
    while (state.roots.size > KEPT_ROOTS) state.roots.delete(state.roots.keys().next().value!)
    const changed = !before.ok || before.revision !== next.revision
    if (changed) {
      const { actions, tasks } = next
      this.#o.logger.info(
        { library: name, revision: next.revision, actions: actions.size, tasks: tasks.size },
        'library loaded',
      )
    }
    return changed
  }

  async #load(name: string): Promise<LibraryImport> {
    const source = this.#o.sources[name]!
    let root: string
    let revision: string | null = null
    if (source.type === 'folder') root = source.path
    else {
      try {
        const snap = await this.#git.get(name)!.sync()
        root = snap.root
        revision = snap.revision
      } catch (e) {
        return { ok: false, name, error: coerceError(e).message }
      }
    }
    const loaded = await loadLibraryDefinitions(root, { clock: this.#o.clock })
    if (!loaded.ok) {
      const errors = loaded.issues.filter((i) => i.severity === 'error')
      const error = `${errors.length} error${errors.length === 1 ? '' : 's'} in ${root}: ${errors.map(formatIssue).join('; ')}`
      return { ok: false, name, error }
    }
    return importLibrary({ name, root, revision: revision ?? loaded.revision }, loaded.defs)
  }
}
