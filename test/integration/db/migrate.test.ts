import { expect } from 'chai'
import { createDb } from '../../../src/db/create-db.ts'
import { knownMigrations, runMigrations } from '../../../src/db/migrate.ts'
import { silentLogger } from '../../../src/shared/logger.ts'
import {
  adminQuery,
  onlyOnPostgres,
  TEST_DATABASE_URL,
  withDatabase,
} from '../../helpers/test-db.ts'

describe('migrations', () => {
  it('migrates an empty database from two servers at once without colliding', async function () {
    onlyOnPostgres(this)
    this.timeout(20000)
    const name = `weir_t_${process.pid}_migrate`
    await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await adminQuery(`CREATE DATABASE ${name}`)
    const url = withDatabase(TEST_DATABASE_URL!, name)
    const a = await createDb({ kind: 'postgres', url }, silentLogger())
    const b = await createDb({ kind: 'postgres', url }, silentLogger())
    try {
      const [ra, rb] = await Promise.all([runMigrations(a.db), runMigrations(b.db)])
      expect(ra.error).to.equal(null)
      expect(rb.error).to.equal(null)
      expect(ra.results.length + rb.results.length).to.equal(knownMigrations().length)
    } finally {
      await a.close()
      await b.close()
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    }
  })
})
