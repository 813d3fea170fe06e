/**
 * Mocha global setup for the integration suite: migrate the template once per run.
 * PostgreSQL: a template database cloned per test file. PGlite: a data-dir dump loaded per file.
 */
import { existsSync, writeFileSync, renameSync } from 'node:fs'
import { PGlite } from '@electric-sql/pglite'
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
    await adminQuery(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`)
    await adminQuery(`CREATE DATABASE ${TEMPLATE_DB}`)
    const database = await createDb(
      { kind: 'postgres', url: withDatabase(TEST_DATABASE_URL, TEMPLATE_DB), poolSize: 1 },
      silentLogger(),
    )
    try {
      const { error } = await runMigrations(database.db)
      if (error) throw error
    } finally {
      await database.close()
    }
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
