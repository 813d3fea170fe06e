/**
 * The task state feature, when the config has a `state_storage` section (else null: state is
 * off, and claims read no snapshots). Snapshots rest in `state_storage.archive`, by default the
 * artifacts' blob store.
 */
import { openBlobStore } from '../artifacts/create-artifacts.ts'
import type { BlobStore } from '../artifacts/blob-store.ts'
import type { Config } from '../config/config-schema.ts'
import type { Database } from '../db/create-db.ts'
import type { Clock } from '../shared/clock.ts'
import type { Logger } from '../shared/logger.ts'
import { StateStore } from './state-store.ts'

export interface State {
  readonly store: StateStore
  stop(): Promise<void>
}

export async function createState(d: {
  readonly config: Config
  readonly database: Database
  /** The artifacts' blob store, used unless state_storage.archive names its own. */
  readonly blobs: BlobStore
  readonly clock: Clock
  readonly logger: Logger
}): Promise<State | null> {
  const c = d.config.state_storage
  if (!c) return null
  const own = c.archive ? await openBlobStore(c.archive, d.clock) : null
  const store = new StateStore({
    db: d.database.db,
    blobs: own ?? d.blobs,
    prefix: c.prefix,
    maxSnapshots: c.max_snapshots,
    globalMaxSnapshots: c.global_max_snapshots ?? c.max_snapshots,
    logger: d.logger.child({ component: 'state' }),
  })
  return { store, stop: async () => own?.close() }
}
