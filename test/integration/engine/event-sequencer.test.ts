import { expect } from 'chai'
import { randomUUID } from 'node:crypto'
import { withTransaction } from '../../../src/db/transaction.ts'
import {
  deleteEventsBefore,
  insertEvents,
  latestEventId,
  listEventsAfter,
  oldestEventId,
} from '../../../src/db/repositories/event.repository.ts'
import { EventSequencer } from '../../../src/engine/event-sequencer.ts'
import type { DomainEvent } from '../../../src/shared/events.ts'
import { silentLogger } from '../../../src/shared/logger.ts'
import {
  createTestDb,
  onlyOnPostgres,
  truncateAll,
  type TestDatabase,
} from '../../helpers/test-db.ts'
import { waitFor } from '../../helpers/wait-for.ts'

function started(jobId: string, task: string): DomainEvent {
  return {
    type: 'job.started',
    data: { job_id: jobId, workspace: 'default', task_name: task, status: 'running' },
  }
}

describe('EventSequencer', () => {
  let database: TestDatabase
  let sequencer: EventSequencer
  let stamped: number[]

  before(async () => {
    database = await createTestDb()
  })
  after(async () => {
    await database.close()
  })
  beforeEach(async () => {
    await truncateAll(database)
    stamped = []
    sequencer = new EventSequencer({
      db: database.db,
      logger: silentLogger(),
      onStamped: (n) => stamped.push(n),
      pollMs: 50,
    })
  })
  afterEach(async () => {
    await sequencer.stop()
  })

  /**
   * Stamps until `n` rows were stamped. The xmin horizon is cluster-wide, so a transaction open
   * in another test file's database may hold stamping back for a moment: wait, don't assume.
   */
  async function stampUntil(n: number): Promise<number> {
    let total = 0
    await waitFor(async () => (total += await sequencer.stampNow()) >= n, {
      what: `${n} stamped rows`,
    })
    return total
  }

  async function tasksInIdOrder(): Promise<string[]> {
    const events = await listEventsAfter(database.db, 0, {}, 1000)
    const ids = events.map((e) => e.id)
    expect(ids).to.deep.equal([...ids].sort((a, b) => a - b))
    return events.map((e) => String(e.data.task_name))
  }

  it('stamps committed rows in commit order with increasing ids', async () => {
    const job = randomUUID()
    await withTransaction(database.db, (trx) =>
      insertEvents(trx, [started(job, 'a1'), started(job, 'a2')]),
    )
    expect(await listEventsAfter(database.db, 0, {}, 100)).to.deep.equal([])
    expect(await stampUntil(2)).to.equal(2)
    await withTransaction(database.db, (trx) => insertEvents(trx, [started(job, 'b1')]))
    await withTransaction(database.db, (trx) => insertEvents(trx, [started(job, 'c1')]))
    expect(await stampUntil(2)).to.equal(2)
    expect(await sequencer.stampNow()).to.equal(0)
    expect(stamped).to.deep.equal([2, 2])
    expect(await tasksInIdOrder()).to.deep.equal(['a1', 'a2', 'b1', 'c1'])
    const events = await listEventsAfter(database.db, 0, {}, 100)
    expect(events[0]!.id).to.be.greaterThan(0)
    expect(events[0]!.data).to.deep.include({ job_id: job, workspace: 'default' })
    expect(events[0]!.at).to.be.instanceOf(Date)
    expect(await oldestEventId(database.db)).to.equal(events[0]!.id)
    expect(await latestEventId(database.db)).to.equal(events[3]!.id)
  })

  it('filters by type, job and workspace, and pages after an id', async () => {
    const [j1, j2] = [randomUUID(), randomUUID()]
    await withTransaction(database.db, (trx) =>
      insertEvents(trx, [
        started(j1, 't1'),
        {
          type: 'job.cancel_requested',
          data: { job_id: j2, workspace: 'other', task_name: 't2', status: 'running' },
        },
        started(j2, 't3'),
      ]),
    )
    await sequencer.stampNow()
    const all = await listEventsAfter(database.db, 0, {}, 100)
    expect(all.map((e) => e.type)).to.deep.equal([
      'job.started',
      'job.cancel_requested',
      'job.started',
    ])
    const byJob = await listEventsAfter(database.db, 0, { jobId: j2 }, 100)
    expect(byJob.map((e) => e.data.task_name)).to.deep.equal(['t2', 't3'])
    const byType = await listEventsAfter(database.db, 0, { types: ['job.cancel_requested'] }, 100)
    expect(byType.map((e) => e.data.task_name)).to.deep.equal(['t2'])
    const byWs = await listEventsAfter(database.db, 0, { workspace: 'default' }, 100)
    expect(byWs.map((e) => e.data.task_name)).to.deep.equal(['t1', 't3'])
    const after = await listEventsAfter(database.db, all[0]!.id, {}, 1)
    expect(after.map((e) => e.data.task_name)).to.deep.equal(['t2'])
  })

  it('deletes stamped events older than the cutoff only', async () => {
    const job = randomUUID()
    await withTransaction(database.db, (trx) => insertEvents(trx, [started(job, 'old')]))
    await sequencer.stampNow()
    await withTransaction(database.db, (trx) => insertEvents(trx, [started(job, 'unstamped')]))
    expect(await deleteEventsBefore(database.db, new Date(Date.now() + 60_000))).to.equal(1)
    expect(await oldestEventId(database.db)).to.equal(null)
    await sequencer.stampNow()
    expect(await tasksInIdOrder()).to.deep.equal(['unstamped'])
  })

  it('runs a loop woken by kick() and stops idempotently', async () => {
    sequencer.start()
    await withTransaction(database.db, (trx) => insertEvents(trx, [started(randomUUID(), 'k')]))
    sequencer.kick()
    await waitFor(() => stamped.length > 0, { what: 'a stamp' })
    expect(stamped).to.deep.equal([1])
    await sequencer.stop()
    await sequencer.stop()
  })

  it('stamps nothing at or after a transaction that is still open, until it commits', async function () {
    onlyOnPostgres(this)
    const job = randomUUID()
    await withTransaction(database.db, (trx) => insertEvents(trx, [started(job, 'before')]))
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    let inserted!: () => void
    const insertedP = new Promise<void>((r) => (inserted = r))
    // takes its xid first, commits last
    const slow = database.db.transaction().execute(async (trx) => {
      await insertEvents(trx, [started(job, 'slow')])
      inserted()
      await gate
    })
    await insertedP
    await withTransaction(database.db, (trx) => insertEvents(trx, [started(job, 'fast')]))
    expect(await stampUntil(1)).to.equal(1)
    expect(await sequencer.stampNow()).to.equal(0)
    expect(await tasksInIdOrder()).to.deep.equal(['before'])
    release()
    await slow
    expect(await stampUntil(2)).to.equal(2)
    expect(await tasksInIdOrder()).to.deep.equal(['before', 'slow', 'fast'])
  })
})
