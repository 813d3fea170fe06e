/** `weir migrate`: apply database migrations and exit. */
import { openDatabase } from '../../db/create-db.ts'
import { runMigrations } from '../../db/migrate.ts'
import { createLogger } from '../../shared/logger.ts'
import { loadConfigFromArgs } from '../config-args.ts'
import type { Command } from '../index.ts'

export const migrateCommand: Command = {
  summary: 'Apply pending database migrations (the server also does this at start) and exit.',
  usage: 'weir migrate [--config FILE]',
  async run(ctx) {
    const loaded = loadConfigFromArgs(ctx)
    if (!loaded) return 1
    const logger = createLogger({ level: 'warn' })
    const database = await openDatabase(loaded.config, logger)
    try {
      const { error, results } = await runMigrations(database.db)
      for (const r of results) console.log(`${r.status.toLowerCase()}: ${r.migrationName}`)
      if (error) {
        console.error(`migration failed: ${error.message}`)
        return 1
      }
      if (results.length === 0) console.log('database is up to date')
      return 0
    } finally {
      await database.close()
    }
  },
}
