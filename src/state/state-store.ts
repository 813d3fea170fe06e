/**
 * Task state (STROEM-REFERENCE.md §7.9): snapshots of a task, or of a workspace (global state),
 * each the values of state.json plus an optional gzip tar of files in the blob store. A step that
 * succeeds takes a new snapshot from what it wrote ($STATE_OUT_DIR, `STATE:` lines); an upload
 * through the API takes one in `replace` or `merge` mode; the next job starts from the newest.
 * Archives are checked entry by entry before anything is recorded (tar-archive.ts), and a
 * snapshot is recorded in one statement after its files are stored, so nothing is half-written.
 * Each task keeps its newest `max_snapshots`.
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Kysely } from 'kysely'
import { fenceError } from '../artifacts/artifact-store.ts'
import { BlobTooLargeError, type BlobStore } from '../artifacts/blob-store.ts'
import type { SnapshotRef } from '../db/queries/claim-ready-steps.ts'
import type { StepFence } from '../db/queries/lock-step-fence.ts'
import {
  deleteSnapshots,
  findLatestSnapshot,
  findSnapshot,
  insertStepSnapshot,
  insertUploadedSnapshot,
  listSnapshots,
  type StateScope,
  type StateSnapshot,
} from '../db/repositories/state-snapshot.repository.ts'
import type { DB } from '../db/schema.ts'
import { BadRequestError, coerceError, PayloadTooLargeError } from '../shared/errors.ts'
import { newJobId, newRowId } from '../shared/ids.ts'
import type { Logger } from '../shared/logger.ts'
import { packDirectory, TarArchiveError, unpackArchive } from '../shared/tar-archive.ts'
import { overlayFolder } from './overlay-folder.ts'
import { combineValues, readUploadQuery, snapshotsToPrune } from './state-values.ts'

export type { SnapshotRef, StateScope, StateSnapshot }

/** The file in a snapshot's folder that holds its values. */
export const STATE_JSON = 'state.json'

export interface StateLimits {
  /** Most bytes of one archive sent to the server (an upload, a remote worker's state). */
  readonly maxArchiveBytes: number
  /** Most bytes an archive may unpack to, and most entries. */
  readonly maxUnpackedBytes: number
  readonly maxEntries: number
}

/** Strøm's upload limit (STROEM-REFERENCE.md §11.3), for worker archives as well. */
export const DEFAULT_STATE_LIMITS: StateLimits = {
  maxArchiveBytes: 50 * 1024 * 1024,
  maxUnpackedBytes: 1024 * 1024 * 1024,
  maxEntries: 100_000,
}

export interface UploadRequest {
  readonly workspace: string
  /** Null: the workspace's global state. */
  readonly taskName: string | null
  readonly revision: string
  /** The request's query: `mode=replace|merge`, every other key a string value of state.json. */
  readonly query: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  /** The gzip tar body (may be empty) and its announced length. */
  readonly body: AsyncIterable<Buffer>
  readonly declaredBytes?: number
  /** Who uploaded (the job's source_id). */
  readonly sourceId: string | null
}

const RESERVED = new Map([
  [STATE_JSON, 'a root-level state.json is not allowed (state values come from the query)'],
])

async function* capped(
  source: AsyncIterable<Buffer>,
  maxBytes: number,
  what: string,
): AsyncGenerator<Buffer> {
  let seen = 0
  for await (const chunk of source) {
    seen += chunk.length
    if (seen > maxBytes) throw new PayloadTooLargeError(`${what} is larger than ${maxBytes} bytes`)
    yield chunk
  }
}

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'weir-state-'))
}

function invalidArchive(e: TarArchiveError, what: string): BadRequestError {
  return new BadRequestError(`invalid ${what}: ${e.problems.join('; ')}`, 'body')
}

export class StateStore {
  readonly #db: Kysely<DB>
  readonly #blobs: BlobStore
  readonly #prefix: string
  readonly #keep: { readonly task: number; readonly global: number }
  readonly #limits: StateLimits
  readonly #logger: Logger

  constructor(d: {
    db: Kysely<DB>
    blobs: BlobStore
    prefix: string
    maxSnapshots: number
    globalMaxSnapshots: number
    limits?: StateLimits
    logger: Logger
  }) {
    this.#db = d.db
    this.#blobs = d.blobs
    this.#prefix = d.prefix
    this.#keep = { task: d.maxSnapshots, global: d.globalMaxSnapshots }
    this.#limits = d.limits ?? DEFAULT_STATE_LIMITS
    this.#logger = d.logger
  }

  get limits(): StateLimits {
    return this.#limits
  }

  #key(workspace: string, id: string): string {
    return `${this.#prefix}${encodeURIComponent(workspace)}/${id}.tar.gz`
  }

  /** Stores the files of `dir` (all but a root state.json); null when there are none. */
  async #storeFiles(workspace: string, id: string, dir: string | null): Promise<string | null> {
    if (dir === null) return null
    const names = (await readdir(dir)).filter((n) => n !== STATE_JSON)
    if (names.length === 0) return null
    const key = this.#key(workspace, id)
    const archive = packDirectory(dir, {
      exclude: (n) => n === STATE_JSON,
      onSkippedLink: (n, target) =>
        this.#logger.warn({ file: n, target }, 'state file left out: a link pointing outside'),
    })
    try {
      await this.#blobs.write(key, archive as AsyncIterable<Buffer>, {
        maxBytes: this.#limits.maxUnpackedBytes,
      })
    } catch (e) {
      if (e instanceof BlobTooLargeError)
        throw new PayloadTooLargeError(`state files are larger than ${e.limit} bytes compressed`)
      throw e
    }
    return key
  }

  /**
   * A step's new snapshot from its folder (the embedded worker): `values` (its STATE: lines
   * merged over its own state.json) and the other files of `dir`.
   */
  async saveFromFolder(
    fence: StepFence & { readonly workspace: string },
    scope: StateScope,
    values: Readonly<Record<string, unknown>>,
    dir: string | null,
  ): Promise<StateSnapshot> {
    const id = newRowId()
    const filesKey = await this.#storeFiles(fence.workspace, id, dir)
    const res = await insertStepSnapshot(
      this.#db,
      { id, scope, state: values, filesKey },
      fence,
    ).catch(async (e: unknown) => {
      if (filesKey) await this.#blobs.delete([filesKey])
      throw e
    })
    if (!res.ok) {
      if (filesKey) await this.#blobs.delete([filesKey])
      throw fenceError(res.refusal, fence)
    }
    await this.#pruneQuietly(res.snapshot.workspace, res.snapshot.taskName)
    return res.snapshot
  }

  /**
   * A step's new snapshot from a remote worker's gzip tar: its root state.json holds the values
   * (a JSON object), every other entry is a file.
   */
  async saveFromArchive(
    fence: StepFence & { readonly workspace: string },
    scope: StateScope,
    body: AsyncIterable<Buffer>,
    declaredBytes?: number,
  ): Promise<StateSnapshot> {
    const max = this.#limits.maxArchiveBytes
    if (declaredBytes !== undefined && declaredBytes > max)
      throw new PayloadTooLargeError(`the state archive is larger than ${max} bytes`)
    const dir = await tempDir()
    try {
      await unpackArchive(capped(body, max, 'the state archive'), dir, this.#unpackLimits()).catch(
        (e: unknown) => {
          throw e instanceof TarArchiveError ? invalidArchive(e, 'state archive') : e
        },
      )
      const values = await readValues(join(dir, STATE_JSON))
      return await this.saveFromFolder(fence, scope, values, dir)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }

  /** An upload through the API: a completed job of source type `upload` and the new snapshot. */
  async upload(u: UploadRequest): Promise<{ snapshotId: string; jobId: string }> {
    const query = readUploadQuery(u.query)
    if (!query.ok) throw new BadRequestError(query.message, query.field)
    const { mode, values } = query
    const max = this.#limits.maxArchiveBytes
    if (u.declaredBytes !== undefined && u.declaredBytes > max)
      throw new PayloadTooLargeError(`the state archive is larger than ${max} bytes`)
    const work = await tempDir()
    const body = join(work, 'upload.tar.gz')
    const uploaded = join(work, 'uploaded')
    const merged = join(work, 'merged')
    let filesKey: string | null = null
    try {
      await pipeline(capped(u.body, max, 'the state archive'), createWriteStream(body))
      await Promise.all([mkdir(uploaded), mkdir(merged)])
      if ((await stat(body)).size > 0) {
        await unpackArchive(createReadStream(body) as AsyncIterable<Buffer>, uploaded, {
          ...this.#unpackLimits(),
          reserved: RESERVED,
        }).catch((e: unknown) => {
          throw e instanceof TarArchiveError ? invalidArchive(e, 'state archive') : e
        })
      }
      const previous =
        mode === 'merge' ? await findLatestSnapshot(this.#db, u.workspace, u.taskName) : undefined
      if (previous?.filesKey) {
        await unpackArchive(
          this.#blobs.read(previous.filesKey) as AsyncIterable<Buffer>,
          merged,
          this.#unpackLimits(),
        )
      }
      await overlayFolder(uploaded, merged)
      const snapshotId = newRowId()
      const jobId = newJobId()
      filesKey = await this.#storeFiles(u.workspace, snapshotId, merged)
      await insertUploadedSnapshot(this.#db, {
        snapshotId,
        jobId,
        workspace: u.workspace,
        taskName: u.taskName,
        jobTaskName: u.taskName ?? GLOBAL_STATE_TASK,
        revision: u.revision,
        sourceId: u.sourceId,
        state: combineValues(mode, previous?.state ?? null, values),
        filesKey,
        input: { mode, ...values },
      })
      filesKey = null
      await this.#pruneQuietly(u.workspace, u.taskName)
      return { snapshotId, jobId }
    } finally {
      if (filesKey) await this.#blobs.delete([filesKey])
      await rm(work, { recursive: true, force: true })
    }
  }

  /** Fills an empty folder with a snapshot: its files, then state.json with its values. */
  async fill(ref: SnapshotRef, dir: string): Promise<void> {
    if (ref.filesKey !== null) {
      await unpackArchive(
        this.#blobs.read(ref.filesKey) as AsyncIterable<Buffer>,
        dir,
        this.#unpackLimits(),
      )
    }
    await writeFile(join(dir, STATE_JSON), JSON.stringify(ref.state))
  }

  /**
   * The files archive of a snapshot of this workspace (and task, or the global state), for a
   * remote worker; undefined when there is no such snapshot, null when it has no files.
   */
  async openFiles(
    id: string,
    workspace: string,
    taskName: string | null,
  ): Promise<{ readonly stream: Readable; readonly size: number } | null | undefined> {
    const s = await findSnapshot(this.#db, id)
    if (!s || s.workspace !== workspace || s.taskName !== taskName) return undefined
    if (s.filesKey === null) return null
    const size = await this.#blobs.size(s.filesKey)
    if (size === undefined) return undefined
    return { stream: this.#blobs.read(s.filesKey), size }
  }

  /** Deletes the snapshots of a task (null: the workspace's) past its newest ones. */
  async prune(workspace: string, taskName: string | null): Promise<number> {
    const keep = taskName === null ? this.#keep.global : this.#keep.task
    const old = snapshotsToPrune(await listSnapshots(this.#db, workspace, taskName), keep)
    if (old.length === 0) return 0
    await deleteSnapshots(
      this.#db,
      old.map((s) => s.id),
    )
    await this.#blobs.delete(old.flatMap((s) => (s.filesKey ? [s.filesKey] : [])))
    return old.length
  }

  /** Pruning is housekeeping: a failure is logged, the snapshot stands. */
  async #pruneQuietly(workspace: string, taskName: string | null): Promise<void> {
    await this.prune(workspace, taskName).catch((e: unknown) =>
      this.#logger.warn({ err: coerceError(e), workspace, taskName }, 'pruning snapshots failed'),
    )
  }

  #unpackLimits() {
    return { maxBytes: this.#limits.maxUnpackedBytes, maxEntries: this.#limits.maxEntries }
  }
}

/** The task name of the job that records a global state upload. */
export const GLOBAL_STATE_TASK = '_global_state'

/** The values in a root state.json (absent: none); it must hold a JSON object. */
async function readValues(path: string): Promise<Record<string, unknown>> {
  const text = await readFile(path, 'utf8').catch(() => null)
  if (text === null) return {}
  await rm(path)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    throw new BadRequestError(
      `state.json in the state archive is not JSON (${coerceError(e).message})`,
    )
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new BadRequestError('state.json in the state archive must hold a JSON object')
  return value as Record<string, unknown>
}
