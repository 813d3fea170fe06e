/**
 * The database of a command that needs no server (`weir users`, `api-keys`, `worker-token`,
 * `prune`): the configured one, migrated first as `weir migrate` would, closed when the command
 * is done.
 */
import type { Config } from '../config/config-schema.ts'
import { openDatabase, type Database } from '../db/create-db.ts'
import { runMigrations } from '../db/migrate.ts'
import { createLogger } from '../shared/logger.ts'
import { loadCommandConfig } from './config-args.ts'
import type { CommandContext } from './index.ts'

export async function withDatabase(
  ctx: CommandContext,
  configPath: string | undefined,
  fn: (database: Database, config: Config) => Promise<number>,
): Promise<number> {
  const loaded = loadCommandConfig(ctx, {}, configPath)
  if (!loaded) return 1
  const database = await openDatabase(loaded.config, createLogger({ level: 'warn' }))
  try {
    const migrated = await runMigrations(database.db)
    if (migrated.error) {
      console.error(`migration failed: ${migrated.error.message}`)
      return 1
    }
    return await fn(database, loaded.config)
  } finally {
    await database.close()
  }
}
