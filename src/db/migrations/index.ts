/** Ordered record of migrations: a static provider, no filesystem scan. */
import type { Migration } from 'kysely/migration'
import * as m0001 from './0001_init.ts'
import * as m0002 from './0002_event_ids.ts'
import * as m0003 from './0003_auth.ts'
import * as m0004 from './0004_worker_protocol.ts'
import * as m0005 from './0005_composed_workflows.ts'
import * as m0006 from './0006_artifacts_state.ts'
import * as m0007 from './0007_list_indexes.ts'
import * as m0008 from './0008_retention.ts'
import * as m0009 from './0009_hot_log_end.ts'

export const MIGRATIONS: Record<string, Migration> = {
  '0001_init': m0001,
  '0002_event_ids': m0002,
  '0003_auth': m0003,
  '0004_worker_protocol': m0004,
  '0005_composed_workflows': m0005,
  '0006_artifacts_state': m0006,
  '0007_list_indexes': m0007,
  '0008_retention': m0008,
  '0009_hot_log_end': m0009,
}
