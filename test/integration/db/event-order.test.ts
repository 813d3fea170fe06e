import { expect } from 'chai'
import { sql } from 'kysely'
import {
  insertEvents,
  latestEventId,
  listEventsAfter,
} from '../../../src/db/repositories/event.repository.ts'
import { withTransaction } from '../../../src/db/transaction.ts'
import type { DomainEvent } from '../../../src/shared/events.ts'
import {
  createTestDb,
  onlyOnPostgres,
  truncateAll,
  type TestDatabase,
} from '../../helpers/test-db.ts'
import { waitFor } from '../../helpers/wait-for.ts'

function skipped(n: number, tag: string): DomainEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    type: 'trigger.skipped',
    data: { workspace: tag, trigger: `t${i}`, task: 'x', scheduled_for: '', reason: 'test' },
  }))
}

describe('job_events ids in commit order', function () {
  this.timeout(30000)
  let database: TestDatabase
  before(async () => {
    database = await createTestDb()
  })
  beforeEach(async () => {
    await truncateAll(database)
  })
  after(async () => {
    await database.close()
  })

  it('makes a second inserter wait for the first one’s commit, so its ids come after', async function () {
    onlyOnPostgres(this, 'needs two connections contending for the events lock')
    const db = database.db
    let release: () => void = () => undefined
    const held = new Promise<void>((r) => (release = r))
    let inserted: () => void = () => undefined
    const firstInserted = new Promise<void>((r) => (inserted = r))
    const first = db.transaction().execute(async (trx) => {
      await insertEvents(trx, skipped(3, 'first'))
      inserted()
      await held
    })
    await firstInserted
    let secondDone = false
    const second = withTransaction(db, (trx) => insertEvents(trx, skipped(2, 'second'))).then(
      () => (secondDone = true),
    )
    // The second transaction waits for the events lock; nothing of it is visible yet.
    await waitFor(
      async () => {
        const { rows } = await sql<{ n: string }>`
          SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`.execute(
          db,
        )
        return Number(rows[0]?.n) > 0
      },
      { what: 'the second inserter to wait on the events lock' },
    )
    expect(secondDone).to.equal(false)
    expect(await latestEventId(db)).to.equal(0)
    release()
    await first
    await second
    const rows = await listEventsAfter(db, 0, { limit: 100 })
    expect(rows.map((r) => r.workspace)).to.deep.equal([
      'first',
      'first',
      'first',
      'second',
      'second',
    ])
  })

  it('never lets a follower reading id > cursor skip an event, under concurrent writers', async () => {
    const db = database.db
    const writers = 4
    const perWriter = 12
    let writing = true
    const seen: number[] = []
    const follow = (async () => {
      let cursor = 0
      for (;;) {
        const done = !writing
        const page = await listEventsAfter(db, cursor, { limit: 1000 })
        for (const e of page) seen.push(e.id)
        cursor = page.at(-1)?.id ?? cursor
        if (done && page.length === 0) return
        if (page.length === 0) await new Promise((r) => setImmediate(r))
      }
    })()
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < perWriter; i++)
          await withTransaction(db, (trx) => insertEvents(trx, skipped(1 + (i % 3), `w${w}`)))
      }),
    )
    writing = false
    await follow
    const all = (await listEventsAfter(db, 0, { limit: 10_000 })).map((e) => e.id)
    expect(seen).to.deep.equal(all)
  })
})
