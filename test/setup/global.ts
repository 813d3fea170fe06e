/**
 * Mocha global setup for the integration suite: migrate the template once per run.
 * PostgreSQL: a template database cloned per test file. PGlite: a data-dir dump loaded per file.
 */
import { existsSync, writeFileSync, renameSync } from 'node:fs'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { createDb } from '../../src/db/create-db.ts'
import { runMigrations } from '../../src/db/migrate.ts'
import { silentLogger } from '../../src/shared/logger.ts'
import {
  TEMPLATE_DB,
  TEST_DATABASE_URL,
  adminQuery,
  pgliteDumpPath,
  withDatabase,
} from '../helpers/test-db.ts'

export async function mochaGlobalSetup(): Promise<void> {
  if (TEST_DATABASE_URL) {
    await ensurePostgresTemplate(TEST_DATABASE_URL)
    return
  }
  const dump = pgliteDumpPath()
  if (existsSync(dump)) return
  const instance = await PGlite.create()
  const database = await createDb({ kind: 'pglite', instance }, silentLogger())
  const { error } = await runMigrations(database.db)
  if (error) throw error
  const blob = await instance.dumpDataDir('gzip')
  const tmp = `${dump}.${process.pid}.tmp`
  writeFileSync(tmp, Buffer.from(await blob.arrayBuffer()))
  renameSync(tmp, dump)
  await database.close()
}

/**
 * Builds the template under a private name, then renames it into place, so concurrent runs
 * either find a complete template or build their own copy; a name clash just drops the copy.
 */
async function ensurePostgresTemplate(url: string): Promise<void> {
  if (await databaseExists(TEMPLATE_DB)) return
  const building = `${TEMPLATE_DB}_b${process.pid}`
  await adminQuery(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`)
  await adminQuery(`CREATE DATABASE ${building}`)
  const database = await createDb(
    { kind: 'postgres', url: withDatabase(url, building), poolSize: 1 },
    silentLogger(),
  )
  try {
    const { error } = await runMigrations(database.db)
    if (error) throw error
  } finally {
    await database.close()
  }
  try {
    await adminQuery(`ALTER DATABASE ${building} RENAME TO ${TEMPLATE_DB}`)
  } catch (error) {
    await adminQuery(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`)
    if (!(await databaseExists(TEMPLATE_DB))) throw error
  }
}

async function databaseExists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await client.connect()
  try {
    const res = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])
    return res.rowCount === 1
  } finally {
    await client.end()
  }
}
