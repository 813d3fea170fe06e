/**
 * One database per test file. PostgreSQL (TEST_DATABASE_URL set): a clone of the migrated
 * template database. PGlite: an instance booted from the migrated data-dir dump.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { sql } from 'kysely'
import pg from 'pg'
import { createDb, type Database } from '../../src/db/create-db.ts'
import { knownMigrations } from '../../src/db/migrate.ts'
import { TABLE_COLUMNS } from '../../src/db/schema.ts'
import { silentLogger } from '../../src/shared/logger.ts'

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined
export const usingPostgres = TEST_DATABASE_URL !== undefined

/**
 * A short hash of the migration files' names and contents: the template database and the PGlite
 * dump are keyed by it, so test runs over different migration sets never share a template.
 */
function migrationsTag(): string {
  const dir = new URL('../../src/db/migrations/', import.meta.url)
  const hash = createHash('sha256').update(knownMigrations().join('+'))
  for (const file of readdirSync(dir).sort())
    hash.update(file).update(readFileSync(new URL(file, dir)))
  return hash.digest('hex').slice(0, 12)
}

const TAG = migrationsTag()
export const TEMPLATE_DB = `weir_test_template_${TAG}`

/** Path of the PGlite dump for the current migration set. */
export function pgliteDumpPath(): string {
  return join(tmpdir(), `weir-test-pglite-${TAG}.tar.gz`)
}

export function withDatabase(url: string, dbName: string): string {
  const u = new URL(url)
  u.pathname = `/${dbName}`
  return u.toString()
}

/** Runs one statement on the server's maintenance connection (CREATE/DROP DATABASE). */
export async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}

let counter = 0

export interface TestDatabase extends Database {
  /** Database name on PostgreSQL (for processes that need their own connection), or null. */
  readonly name: string | null
  readonly url: string | null
}

/** A fresh, migrated database for one test file. Call `close()` in `after`. */
export async function createTestDb(): Promise<TestDatabase> {
  if (TEST_DATABASE_URL) {
    const name = `weir_t_${process.pid}_${++counter}`
    await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DB}`)
    const url = withDatabase(TEST_DATABASE_URL, name)
    const database = await createDb({ kind: 'postgres', url, poolSize: 8 }, silentLogger())
    return {
      ...database,
      name,
      url,
      async close() {
        await database.close()
        if (!process.env.KEEP_TEST_DB)
          await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      },
    }
  }
  const dump = pgliteDumpPath()
  if (!existsSync(dump)) throw new Error(`missing ${dump}: the global test setup did not run`)
  const blob = new Blob([readFileSync(dump)])
  const instance = await PGlite.create({ loadDataDir: blob })
  const database = await createDb({ kind: 'pglite', instance }, silentLogger())
  return { ...database, name: null, url: null }
}

/**
 * Empties every table (migration tables excepted), for `beforeEach`. The app under test keeps
 * running meanwhile (a previous test's job hook, a leader loop), and TRUNCATE locks every table,
 * so PostgreSQL may pick it as a deadlock victim: it then tries again.
 */
export async function truncateAll(database: Database): Promise<void> {
  const tables = Object.keys(TABLE_COLUMNS).join(', ')
  for (let attempt = 1; ; attempt++) {
    try {
      await sql.raw(`TRUNCATE ${tables} RESTART IDENTITY CASCADE`).execute(database.db)
      return
    } catch (err) {
      if ((err as { code?: string }).code !== '40P01' || attempt >= 5) throw err
    }
  }
}

/** Skips the current test or suite on PGlite, saying why. */
export function onlyOnPostgres(
  ctx: Mocha.Context,
  why = 'needs several connections to one PostgreSQL',
): void {
  if (!usingPostgres) {
    ctx.skip()
  }
  void why
}
