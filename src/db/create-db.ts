/**
 * Database = Kysely<DB> over PGlite (embedded, in-process) or a pg Pool (real PostgreSQL).
 * Same migrations and queries for both; `kind` tells the few places that differ (wake-ups, leader).
 */
import { PGlite } from '@electric-sql/pglite'
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { Logger } from '../shared/logger.ts'
import type { DB } from './schema.ts'
import { lockDataDir } from './pglite-lock.ts'

export type DbKind = 'pglite' | 'postgres'

export interface Database {
  readonly db: Kysely<DB>
  readonly kind: DbKind
  /** The PGlite instance (embedded mode only): for LISTEN and dumps. */
  readonly pglite: PGlite | null
  /** Connection settings for dedicated connections (listen, leader lock); null for PGlite. */
  readonly pgConfig: pg.PoolConfig | null
  close(): Promise<void>
}

export type DbTarget =
  | { kind: 'postgres'; url: string; poolSize?: number }
  | { kind: 'pglite'; dataDir: string } // a folder, or 'memory' for a throwaway instance
  | { kind: 'pglite'; instance: PGlite }

/** Opens the database described by `target`. PGlite data dirs are locked to this process. */
export async function createDb(target: DbTarget, logger: Logger): Promise<Database> {
  if (target.kind === 'postgres') return createPostgres(target.url, target.poolSize ?? 8, logger)
  let release: (() => void) | null = null
  let pglite: PGlite
  if ('instance' in target) {
    pglite = target.instance
  } else if (target.dataDir === 'memory') {
    pglite = new PGlite()
  } else {
    release = lockDataDir(target.dataDir)
    try {
      pglite = new PGlite(target.dataDir)
    } catch (e) {
      release()
      throw e
    }
  }
  await pglite.waitReady
  const db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }) })
  return {
    db,
    kind: 'pglite',
    pglite,
    pgConfig: null,
    async close() {
      try {
        await db.destroy()
      } finally {
        release?.()
      }
    },
  }
}

function createPostgres(url: string, poolSize: number, logger: Logger): Database {
  const pgConfig: pg.PoolConfig = {
    connectionString: url,
    max: poolSize,
    idleTimeoutMillis: 30_000,
  }
  const pool = new pg.Pool(pgConfig)
  // An idle client that errors (server restart, network) must not crash the process.
  pool.on('error', (err) => logger.warn({ err }, 'idle database connection failed'))
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  return {
    db,
    kind: 'postgres',
    pglite: null,
    pgConfig,
    close: () => db.destroy(),
  }
}
