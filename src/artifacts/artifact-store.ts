/**
 * Artifacts: the files a step left in $ARTIFACTS_DIR, stored once it succeeded. The bytes go to
 * the blob store first (streamed, capped at `max_file_bytes`), then one short transaction records
 * the row if the attempt still holds its lease, the job is active and the job's total stays
 * within `max_job_bytes`; otherwise the stored file is deleted again. A name stored twice keeps
 * the last one. Reads stream the file, whole or a byte range.
 */
import type { Readable } from 'node:stream'
import type { Kysely } from 'kysely'
import {
  deleteStepArtifacts,
  findArtifact,
  listArtifacts,
  putArtifact,
  type Artifact,
} from '../db/repositories/artifact.repository.ts'
import { lockStepFence, type FenceRefusal, type StepFence } from '../db/queries/lock-step-fence.ts'
import type { DB } from '../db/schema.ts'
import { withTransaction } from '../db/transaction.ts'
import {
  BadRequestError,
  ConflictError,
  NotFoundError,
  PayloadTooLargeError,
  type AppError,
} from '../shared/errors.ts'
import { newRowId } from '../shared/ids.ts'
import type { Logger } from '../shared/logger.ts'
import { checkArtifactName, contentTypeOf } from './artifact-names.ts'
import { BlobTooLargeError, type BlobStore } from './blob-store.ts'

export type { Artifact, StepFence }

export interface ArtifactLimits {
  readonly maxFileBytes: number
  readonly maxJobBytes: number
}

/** What a stored artifact is made from: a stream (a remote worker's upload) or a local file. */
export type ArtifactSource =
  | {
      readonly stream: AsyncIterable<Buffer>
      /** The announced size (Content-Length), checked before reading. */
      readonly declaredBytes?: number
    }
  | { readonly path: string }

/** The error a refused fenced write answers with. */
export function fenceError(r: FenceRefusal, f: StepFence): AppError {
  switch (r.kind) {
    case 'no_job':
      return new NotFoundError(`job '${f.jobId}' not found`)
    case 'job_ended':
      return new ConflictError(`job '${f.jobId}' is ${r.status}: it takes no more files`)
    case 'lease_gone':
      return new ConflictError(
        `the lease on step '${f.stepName}' (attempt ${f.attempt}) is no longer current; discard the result`,
        'lease_expired',
      )
  }
}

function tooLarge(name: string, limits: ArtifactLimits): PayloadTooLargeError {
  return new PayloadTooLargeError(
    `artifact '${name}' is larger than max_file_bytes (${limits.maxFileBytes} bytes)`,
  )
}

export class ArtifactStore {
  readonly #db: Kysely<DB>
  readonly #blobs: BlobStore
  readonly #prefix: string
  readonly limits: ArtifactLimits
  readonly #logger: Logger

  constructor(d: {
    db: Kysely<DB>
    blobs: BlobStore
    prefix: string
    limits: ArtifactLimits
    logger: Logger
  }) {
    this.#db = d.db
    this.#blobs = d.blobs
    this.#prefix = d.prefix
    this.limits = d.limits
    this.#logger = d.logger
  }

  /** Refuses early (before any byte is read) what would be refused after: 404, 409, 413. */
  async precheck(fence: StepFence, name: string, declaredBytes?: number): Promise<void> {
    const check = checkArtifactName(name)
    if (!check.ok)
      throw new BadRequestError(`invalid artifact name '${name}': ${check.why}`, 'name')
    if (declaredBytes !== undefined && declaredBytes > this.limits.maxFileBytes)
      throw tooLarge(name, this.limits)
    const refusal = await withTransaction(this.#db, (trx) => lockStepFence(trx, fence))
    if (refusal) throw fenceError(refusal, fence)
  }

  /** Stores one artifact of the step attempt `fence`; returns its row. */
  async put(fence: StepFence, name: string, source: ArtifactSource): Promise<Artifact> {
    const declared = 'path' in source ? undefined : source.declaredBytes
    const check = checkArtifactName(name)
    if (!check.ok)
      throw new BadRequestError(`invalid artifact name '${name}': ${check.why}`, 'name')
    if (declared !== undefined && declared > this.limits.maxFileBytes)
      throw tooLarge(name, this.limits)
    const id = newRowId()
    const key = `${this.#prefix}${fence.jobId}/${id}`
    const maxBytes = this.limits.maxFileBytes
    let size: number
    try {
      size =
        'path' in source
          ? await this.#blobs.copyFrom(key, source.path, { maxBytes })
          : await this.#blobs.write(key, source.stream, { maxBytes })
    } catch (e) {
      if (e instanceof BlobTooLargeError) throw tooLarge(name, this.limits)
      throw e
    }
    const res = await putArtifact(
      this.#db,
      {
        id,
        jobId: fence.jobId,
        stepName: fence.stepName,
        name,
        contentType: contentTypeOf(name),
        sizeBytes: size,
        storageKey: key,
      },
      fence,
      this.limits.maxJobBytes,
    ).catch(async (e: unknown) => {
      await this.#blobs.delete([key])
      throw e
    })
    if (!res.ok) {
      await this.#blobs.delete([key])
      if ('refusal' in res) throw fenceError(res.refusal, fence)
      throw new PayloadTooLargeError(
        `artifact '${name}' (${size} bytes) would take job '${fence.jobId}' past max_job_bytes ` +
          `(${this.limits.maxJobBytes} bytes; ${res.overJobLimit} already stored)`,
      )
    }
    if (res.replacedKey !== null) await this.#blobs.delete([res.replacedKey])
    return res.artifact
  }

  /** Removes what a step stored (its attempt failed after storing some of its artifacts). */
  async discardStep(jobId: string, stepName: string): Promise<void> {
    const keys = await deleteStepArtifacts(this.#db, jobId, stepName)
    await this.#blobs.delete(keys)
  }

  list(jobId: string): Promise<Artifact[]> {
    return listArtifacts(this.#db, jobId)
  }

  find(jobId: string, name: string): Promise<Artifact | undefined> {
    return findArtifact(this.#db, jobId, name)
  }

  /** The artifact's bytes (or a range of them). */
  read(a: Artifact, range?: { start: number; end: number }): Readable {
    return this.#blobs.read(a.storageKey, range)
  }

  /**
   * Deletes every artifact file of a job (for retention, which deletes the job's rows; the
   * artifact rows go with the job by cascade).
   */
  async deleteJobFiles(jobId: string): Promise<void> {
    await this.#blobs.deletePrefix(`${this.#prefix}${jobId}/`)
    this.#logger.debug({ jobId }, 'artifact files deleted')
  }
}
