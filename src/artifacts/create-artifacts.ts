/**
 * The artifacts feature: the blob store of `artifact_storage.archive` (a local folder; `.weir`
 * beside the database and logs by default, so artifacts work out of the box) and the artifact
 * store over it and the database.
 */
import type { Config } from '../config/config-schema.ts'
import type { Database } from '../db/create-db.ts'
import type { Clock } from '../shared/clock.ts'
import type { Logger } from '../shared/logger.ts'
import { ArtifactStore } from './artifact-store.ts'
import type { BlobStore } from './blob-store.ts'
import { LocalBlobStore } from './local-blob-store.ts'

export interface Artifacts {
  readonly store: ArtifactStore
  /** The blob store of `artifact_storage.archive` (task state rests here unless it has its own). */
  readonly blobs: BlobStore
  stop(): Promise<void>
}

/** Opens the blob store of an `archive` setting (only `local` exists). */
export async function openBlobStore(
  archive: { readonly type: 'local'; readonly path: string },
  clock: Pick<Clock, 'nowMs'>,
): Promise<LocalBlobStore> {
  const blobs = new LocalBlobStore(archive.path)
  await blobs.open(clock.nowMs())
  return blobs
}

export async function createArtifacts(d: {
  readonly config: Config
  readonly database: Database
  readonly clock: Clock
  readonly logger: Logger
}): Promise<Artifacts> {
  const c = d.config.artifact_storage
  const blobs = await openBlobStore(c.archive, d.clock)
  const store = new ArtifactStore({
    db: d.database.db,
    blobs,
    prefix: c.prefix,
    limits: { maxFileBytes: c.max_file_bytes, maxJobBytes: c.max_job_bytes },
    logger: d.logger.child({ component: 'artifacts' }),
  })
  return { store, blobs, stop: () => blobs.close() }
}
