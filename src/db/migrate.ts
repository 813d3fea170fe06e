/** Runs the static migrations with Kysely's Migrator (its lock makes concurrent starts safe). */
import type { Kysely } from 'kysely'
import { Migrator, type MigrationResult } from 'kysely/migration'
import { coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import { MIGRATIONS } from './migrations/index.ts'

export interface MigrateOutcome {
  readonly results: ReadonlyArray<MigrationResult>
  readonly error: Error | null
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function runMigrations(db: Kysely<any>): Promise<MigrateOutcome> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: 'weir_migrations',
    migrationLockTableName: 'weir_migrations_lock',
  })
  const { error, results } = await migrator.migrateToLatest()
  return {
    results: results ?? [],
    error: error === undefined ? null : coerceError(error),
  }
}

/** Names of the migrations known to this build, in order. */
export function knownMigrations(): string[] {
  return Object.keys(MIGRATIONS).sort()
}

/** Migrates to the latest version, logging each migration; throws when one fails. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function migrateToLatest(db: Kysely<any>, logger: Logger): Promise<void> {
  const { results, error } = await runMigrations(db)
  for (const r of results)
    logger.info({ migration: r.migrationName, status: r.status }, 'migration')
  if (error) throw new Error(`database migration failed: ${error.message}`, { cause: error })
}
