/** Ordered record of migrations: a static provider, no filesystem scan. */
import type { Migration } from 'kysely/migration'
import * as m0001 from './0001_init.ts'

export const MIGRATIONS: Record<string, Migration> = {
  '0001_init': m0001,
}
