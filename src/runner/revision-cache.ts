/**
 * The files of workspace and library revisions on a remote worker: a `source:` step whose files
 * this worker has no folder for runs in the revision's archive (GET /worker/{kind}s/{name}/archive,
 * API.md §11.2), fetched once per revision into `<dir>/<kind>/<name>/<revision>` and unpacked
 * with the archive checks of shared/tar-archive.ts. Steps claiming the same revision at once
 * share one download; a revision's folder appears whole (unpacked aside, then renamed) or not at
 * all, so a folder found on disk, even from an earlier run, is complete. After each download the
 * least recently used revisions of that workspace or library beyond `keep` are removed, never
 * one a running step is in.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { monotonicMs } from '../shared/clock.ts'
import { coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import { TarArchiveError, unpackArchive } from '../shared/tar-archive.ts'
import { pause } from './backoff.ts'
import { errorOf } from './remote-wire.ts'
import type { FilesRef } from './step-source.ts'
import type { WorkerHttp } from './worker-http.ts'

export interface RevisionCacheOptions {
  /** The cache folder (created when first needed). */
  readonly dir: string
  /** Revisions kept per workspace or library, besides those steps are running in. */
  readonly keep: number
  readonly http: WorkerHttp
  /** The current worker secret, or null while the worker has none. */
  readonly secret: () => string | null
  readonly logger: Logger
}

/** A revision's folder, held while a step runs in it. */
export interface RevisionLease {
  readonly dir: string
  /** Lets the folder be pruned again; idempotent. */
  release(): void
}

/** One revision folder as pruning sees it. */
export interface CachedRevision {
  readonly revision: string
  /** Higher is more recent; never used in this run: -1. */
  readonly lastUse: number
  readonly inUse: boolean
}

/** The revisions to remove: all but the `keep` most recently used, and never one in use. Pure. */
export function revisionsToPrune(revisions: ReadonlyArray<CachedRevision>, keep: number): string[] {
  const byUse = [...revisions].sort(
    (a, b) => b.lastUse - a.lastUse || (a.revision < b.revision ? -1 : 1),
  )
  return byUse
    .slice(keep)
    .filter((r) => !r.inUse)
    .map((r) => r.revision)
}

const TRIES = 3
const FIRST_DELAY_MS = 250
/** A large workspace on a slow link may take this long. */
const TRANSFER_TIMEOUT_MS = 30 * 60_000
/** A workspace's files: generous, but not unbounded (as the server's git checkouts). */
const UNPACK_LIMITS = { maxBytes: 4 * 1024 ** 3, maxEntries: 500_000 }
const TMP_PREFIX = '.tmp-'

const keyOf = (ref: FilesRef) => `${ref.kind}/${ref.name}/${ref.revision}`

/** `workspace 'ops' at revision 'abc'`, for messages. */
export function describeFiles(ref: FilesRef): string {
  return `${ref.kind} '${ref.name}' at revision '${ref.revision}'`
}

export class RevisionCache {
  readonly #o: RevisionCacheOptions
  /** Steps running in each revision folder. */
  readonly #uses = new Map<string, number>()
  readonly #lastUse = new Map<string, number>()
  readonly #downloads = new Map<string, Promise<void>>()
  readonly #closing = new AbortController()
  #seq = 0

  constructor(o: RevisionCacheOptions) {
    this.#o = o
  }

  /**
   * The folder of `ref`'s files, fetched first when missing. Rejects with a message naming the
   * workspace or library and the revision when they cannot be fetched, or when `signal` aborts
   * (the shared download goes on for the other steps waiting on it).
   */
  async acquire(ref: FilesRef, signal?: AbortSignal): Promise<RevisionLease> {
    const key = keyOf(ref)
    const dir = join(this.#o.dir, key)
    this.#uses.set(key, (this.#uses.get(key) ?? 0) + 1)
    this.#lastUse.set(key, ++this.#seq)
    let released = false
    const release = () => {
      if (released) return
      released = true
      const n = (this.#uses.get(key) ?? 1) - 1
      if (n > 0) this.#uses.set(key, n)
      else this.#uses.delete(key)
    }
    try {
      if (!existsSync(dir)) await abortable(this.#download(key, ref, dir), signal)
    } catch (e) {
      release()
      throw e
    }
    return { dir, release }
  }

  /** Aborts the downloads in flight (the worker is stopping). */
  close(): void {
    this.#closing.abort()
  }

  #download(key: string, ref: FilesRef, dir: string): Promise<void> {
    let p = this.#downloads.get(key)
    if (!p) {
      p = this.#fetch(ref, dir).finally(() => this.#downloads.delete(key))
      this.#downloads.set(key, p)
    }
    return p
  }

  async #fetch(ref: FilesRef, dir: string): Promise<void> {
    const parent = join(this.#o.dir, ref.kind, ref.name)
    const tmp = join(parent, `${TMP_PREFIX}${ref.revision}-${randomBytes(4).toString('hex')}`)
    const started = monotonicMs()
    try {
      mkdirSync(parent, { recursive: true })
      const unpacked = await this.#fetchInto(ref, tmp)
      if (existsSync(dir)) rmSync(tmp, { recursive: true, force: true })
      else renameSync(tmp, dir)
      this.#o.logger.info(
        { ...ref, ...unpacked, ms: Math.round(monotonicMs() - started) },
        'fetched the files of a revision',
      )
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true })
      const hint =
        ref.kind === 'workspace'
          ? ` (or give this worker a folder for it: --workspace-dir ${ref.name}=<path>)`
          : ''
      throw new Error(
        `cannot fetch the files of ${describeFiles(ref)}: ${coerceError(e).message}${hint}`,
        { cause: e },
      )
    }
    this.#prune(ref)
  }

  /** One GET, tried again while the failure may be transient; a refusal fails at once. */
  async #fetchInto(ref: FilesRef, tmp: string): Promise<{ files: number; bytes: number }> {
    const path =
      `/worker/${ref.kind === 'library' ? 'libraries' : 'workspaces'}/` +
      `${encodeURIComponent(ref.name)}/archive?revision=${encodeURIComponent(ref.revision)}`
    for (let attempt = 1; ; attempt++) {
      const secret = this.#o.secret()
      if (!secret) throw new Error('this worker is not registered')
      const res = await this.#o.http.stream('GET', path, {
        bearer: secret,
        timeoutMs: TRANSFER_TIMEOUT_MS,
        signal: this.#closing.signal,
      })
      let why: string
      if (res.status === null) why = res.error
      else if (res.status >= 500 || res.status === 429) why = `the server answered ${res.status}`
      else if (res.status !== 200 || !res.stream) {
        res.stream?.destroy()
        const e = errorOf(res.body)
        throw new Error(`the server answered ${res.status} (${e.code}): ${e.error}`)
      } else {
        rmSync(tmp, { recursive: true, force: true })
        mkdirSync(tmp)
        try {
          return await unpackArchive(res.stream, tmp, UNPACK_LIMITS)
        } catch (e) {
          // A refused archive stays refused; a cut-off transfer may go through next time.
          if (e instanceof TarArchiveError || this.#closing.signal.aborted) throw e
          why = coerceError(e).message
        } finally {
          res.stream.destroy()
        }
      }
      if (this.#closing.signal.aborted) throw new Error('the worker is stopping')
      if (attempt >= TRIES) throw new Error(`${why} (tried ${TRIES} times)`)
      await pause(FIRST_DELAY_MS * 2 ** (attempt - 1), this.#closing.signal)
    }
  }

  /** Removes the least recently used revisions of `ref`'s workspace or library beyond `keep`. */
  #prune(ref: FilesRef): void {
    const parent = join(this.#o.dir, ref.kind, ref.name)
    const prefix = `${ref.kind}/${ref.name}/`
    let names: string[]
    try {
      names = readdirSync(parent)
    } catch (e) {
      this.#o.logger.warn({ err: coerceError(e), dir: parent }, 'cannot list cached revisions')
      return
    }
    const revisions = names
      .filter((n) => !n.startsWith(TMP_PREFIX))
      .map((revision) => ({
        revision,
        lastUse: this.#lastUse.get(prefix + revision) ?? -1,
        inUse: (this.#uses.get(prefix + revision) ?? 0) > 0,
      }))
    // Folders a killed earlier run left half-unpacked: none of this run's downloads.
    const busy = [...this.#downloads.keys()]
      .filter((k) => k.startsWith(prefix))
      .map((k) => `${TMP_PREFIX}${k.slice(prefix.length)}-`)
    const leftovers = names.filter(
      (n) => n.startsWith(TMP_PREFIX) && !busy.some((b) => n.startsWith(b)),
    )
    for (const name of [...revisionsToPrune(revisions, this.#o.keep), ...leftovers]) {
      rmSync(join(parent, name), { recursive: true, force: true })
      this.#lastUse.delete(prefix + name)
    }
  }
}

/** `p`, or a rejection as soon as `signal` aborts. */
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p
  if (signal.aborted) return Promise.reject(new Error('the step was stopped'))
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('the step was stopped'))
    signal.addEventListener('abort', onAbort, { once: true })
    void p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
