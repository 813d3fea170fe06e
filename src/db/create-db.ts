/**
 * Database = Kysely<DB> over PGlite (embedded, in-process) or a pg Pool (real PostgreSQL).
 * Same migrations and queries for both; `kind` tells the few places that differ (wake-ups, leader).
 */
import type { PGlite } from '@electric-sql/pglite'
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { Logger } from '../shared/logger.ts'
import type { DB } from './schema.ts'
import { lockDataDir } from './pglite-lock.ts'
import { PreparedClient } from './prepared-client.ts'
import type { Config } from '../config/config-schema.ts'

export type DbKind = 'pglite' | 'postgres'

export interface Database {
  readonly db: Kysely<DB>
  /**
   * The same database for writes a crash may forget without harm: claims (the step is claimed
   * again), lease extensions, log progress. On PostgreSQL its sessions commit without waiting for
   * the WAL flush (`synchronous_commit = off`): the commit is visible at once and keeps its order
   * in the WAL, so a later durable commit makes it durable too. PGlite: the same handle as `db`.
   */
  readonly relaxed: Kysely<DB>
  readonly kind: DbKind
  /** The PGlite instance (embedded mode only): for LISTEN and dumps. */
  readonly pglite: PGlite | null
  /** Connection settings for dedicated connections (listen, leader lock); null for PGlite. */
  readonly pgConfig: pg.PoolConfig | null
  close(): Promise<void>
}

export type DbTarget =
  | { kind: 'postgres'; url: string; poolSize?: number; preparedStatements?: boolean }
  | { kind: 'pglite'; dataDir: string } // a folder, or 'memory' for a throwaway instance
  | { kind: 'pglite'; instance: PGlite }

/** Opens the database the server config names: PostgreSQL with `db.url`, else embedded PGlite. */
export function openDatabase(config: Pick<Config, 'db'>, logger: Logger): Promise<Database> {
  if (config.db.url)
    return createDb(
      {
        kind: 'postgres',
        url: config.db.url,
        poolSize: config.db.pool_size,
        preparedStatements: config.db.prepared_statements,
      },
      logger,
    )
  return createDb({ kind: 'pglite', dataDir: config.db.data_dir }, logger)
}

/** Opens the database described by `target`. PGlite data dirs are locked to this process. */
export async function createDb(target: DbTarget, logger: Logger): Promise<Database> {
  if (target.kind === 'postgres')
    return createPostgres(
      target.url,
      target.poolSize ?? 8,
      target.preparedStatements ?? true,
      logger,
    )
  let release: (() => void) | null = null
  let pglite: PGlite
  // Loaded only in embedded mode: a server on PostgreSQL never holds PGlite's code.
  const { PGlite } = await import('@electric-sql/pglite')
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
    relaxed: db,
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

function createPostgres(
  url: string,
  poolSize: number,
  preparedStatements: boolean,
  logger: Logger,
): Database {
  const pgConfig: pg.PoolConfig = {
    connectionString: url,
    max: poolSize,
    idleTimeoutMillis: 30_000,
  }
  const open = (config: pg.PoolConfig) => {
    const pool = new pg.Pool(preparedStatements ? { ...config, Client: PreparedClient } : config)
    // An idle client that errors (server restart, network) must not crash the process.
    pool.on('error', (err) => logger.warn({ err }, 'idle database connection failed'))
    return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  }
  const db = open(pgConfig)
  const relaxed = open({
    ...pgConfig,
    max: Math.max(2, Math.ceil(poolSize / 2)),
    options: '-c synchronous_commit=off',
  })
  return {
    db,
    relaxed,
    kind: 'postgres',
    pglite: null,
    pgConfig,
    close: async () => {
      await Promise.allSettled([db.destroy(), relaxed.destroy()])
    },
  }
}
