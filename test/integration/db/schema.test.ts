import { expect } from 'chai'
import { sql } from 'kysely'
import { TABLE_COLUMNS } from '../../../src/db/schema.ts'
import { runMigrations } from '../../../src/db/migrate.ts'
import { createTestDb, type TestDatabase } from '../../helpers/test-db.ts'

describe('database schema', () => {
  let database: TestDatabase
  before(async () => {
    database = await createTestDb()
  })
  after(async () => {
    await database.close()
  })

  it('has exactly the columns schema.ts declares, for every table', async () => {
    const { rows } = await sql<{ table_name: string; column_name: string }>`
      SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name NOT LIKE 'weir_migrations%'`.execute(database.db)
    const live = new Map<string, string[]>()
    for (const r of rows) live.set(r.table_name, [...(live.get(r.table_name) ?? []), r.column_name])
    expect([...live.keys()].sort()).to.deep.equal(Object.keys(TABLE_COLUMNS).sort())
    for (const [table, columns] of Object.entries(TABLE_COLUMNS)) {
      expect(live.get(table)?.sort(), table).to.deep.equal([...columns].sort())
    }
  })

  it('is fully migrated, and migrating again changes nothing', async () => {
    const { error, results } = await runMigrations(database.db)
    expect(error).to.equal(null)
    expect(results).to.deep.equal([])
  })
})
