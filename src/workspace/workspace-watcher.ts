/**
 * Reloads a workspace when its files change: a recursive file watcher (debounced) per folder,
 * plus a slow revision check for file systems that do not report changes; a git workspace asks
 * its remote for a new commit every `poll_interval_secs`, and libraries are loaded again on the
 * slow check (or their git poll, when shorter). The registry keeps the last good version when the
 * new one has errors.
 */
import { watch, type FSWatcher } from 'node:fs'
import { coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import { computeRevision } from './load-workspace.ts'
import type { WorkspaceRegistry } from './workspace-registry.ts'

export interface WatcherOptions {
  readonly registry: WorkspaceRegistry
  readonly logger: Logger
  readonly debounceMs?: number
  readonly pollMs?: number
}

export class WorkspaceWatcher {
  readonly #o: WatcherOptions
  readonly #watchers: FSWatcher[] = []
  readonly #timers = new Map<string, NodeJS.Timeout>()
  readonly #polls: NodeJS.Timeout[] = []
  #poll: NodeJS.Timeout | null = null
  #stopped = false

  constructor(opts: WatcherOptions) {
    this.#o = opts
  }

  start(): void {
    for (const entry of this.#o.registry.list()) {
      const root = entry.source.type === 'folder' ? entry.source.path : undefined
      if (!root) continue
      try {
        const w = watch(root, { recursive: true }, (_event, file) => {
          if (file && (String(file).startsWith('.git/') || String(file) === '.git')) return
          this.#schedule(entry.name)
        })
        w.on('error', (err) =>
          this.#o.logger.warn({ err, workspace: entry.name }, 'workspace watcher failed'),
        )
        this.#watchers.push(w)
      } catch (e) {
        this.#o.logger.warn(
          { err: coerceError(e), workspace: entry.name },
          'cannot watch workspace folder; relying on polling',
        )
      }
    }
    const pollMs = this.#o.pollMs ?? 30_000
    this.#poll = setInterval(() => void this.#checkRevisions(), pollMs)
    this.#poll.unref()
    for (const entry of this.#o.registry.list()) {
      const git = entry.source.type === 'git' ? entry.source.git : undefined
      if (git) this.#every(git.pollIntervalSecs * 1000, () => this.#reload(entry.name))
    }
    const libraries = this.#o.registry.libraries
    if (libraries && libraries.names.length > 0) {
      const gitMs = (libraries.pollIntervalSecs ?? Infinity) * 1000
      this.#every(Math.min(pollMs, gitMs), () => this.#refreshLibraries())
    }
  }

  /** Runs `task` every `ms`, never two at once. */
  #every(ms: number, task: () => Promise<void>): void {
    let running = false
    const timer = setInterval(() => {
      if (running || this.#stopped) return
      running = true
      void task().finally(() => (running = false))
    }, ms)
    timer.unref()
    this.#polls.push(timer)
  }

  async #refreshLibraries(): Promise<void> {
    try {
      await this.#o.registry.refreshLibraries()
    } catch (e) {
      this.#o.logger.warn({ err: coerceError(e) }, 'library refresh failed')
    }
  }

  #schedule(name: string): void {
    if (this.#stopped) return
    clearTimeout(this.#timers.get(name))
    const timer = setTimeout(() => {
      this.#timers.delete(name)
      void this.#reload(name)
    }, this.#o.debounceMs ?? 200)
    timer.unref()
    this.#timers.set(name, timer)
  }

  async #reload(name: string): Promise<void> {
    if (this.#stopped) return
    try {
      await this.#o.registry.reload(name)
    } catch (e) {
      this.#o.logger.warn({ err: coerceError(e), workspace: name }, 'workspace reload failed')
    }
  }

  /** Reloads workspaces whose content hash differs from the last attempted load. */
  async #checkRevisions(): Promise<void> {
    for (const entry of this.#o.registry.list()) {
      if (entry.source.type !== 'folder' || !entry.source.path) continue
      try {
        if ((await computeRevision(entry.source.path)) !== entry.attemptedRevision)
          await this.#reload(entry.name)
      } catch (e) {
        this.#o.logger.warn(
          { err: coerceError(e), workspace: entry.name },
          'workspace revision check failed',
        )
      }
    }
  }

  stop(): void {
    this.#stopped = true
    for (const w of this.#watchers) w.close()
    for (const t of this.#timers.values()) clearTimeout(t)
    if (this.#poll) clearInterval(this.#poll)
    for (const p of this.#polls) clearInterval(p)
  }
}
