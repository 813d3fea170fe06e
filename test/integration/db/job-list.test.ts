import { expect } from 'chai'
import { sql } from 'kysely'
import { boundedCount } from '../../../src/db/queries/bounded-count.ts'
import { listAuditEntries } from '../../../src/db/repositories/audit.repository.ts'
import { listJobs } from '../../../src/db/repositories/job.repository.ts'
import type { JobListFilter } from '../../../src/flow/job.ts'
import { createTestDb, type TestDatabase } from '../../helpers/test-db.ts'

const page = (f: Partial<JobListFilter>): JobListFilter => ({
  limit: 5,
  offset: 0,
  count: true,
  ...f,
})

describe('job lists: bounded counts and keyset pages', () => {
  let database: TestDatabase
  const seeded = 600

  before(async function () {
    this.timeout(30_000)
    database = await createTestDb()
    // Every 100th job failed; workspace 'big' holds all but 50 of them; one second apart.
    await sql`
      INSERT INTO jobs (id, workspace, task_name, status, source_type, input, revision,
                        created_at, log_last_seq)
      SELECT gen_random_uuid(), CASE WHEN i <= 50 THEN 'small' ELSE 'big' END, 'echo',
             CASE WHEN i % 100 = 0 THEN 'failed' ELSE 'completed' END, 'api', '{}'::jsonb, 'r',
             now() - make_interval(secs => ${seeded}::int - i), 0
      FROM generate_series(1, ${seeded}::int) AS i`.execute(database.db)
    await sql`ANALYZE jobs`.execute(database.db)
  })
  after(async () => {
    await database?.close()
  })

  it('counts exactly up to the limit', async () => {
    const all = database.db.selectFrom('jobs')
    expect(await boundedCount(database.db, all, seeded)).to.deep.equal({
      total: seeded,
      estimated: false,
    })
    const failed = all.where('status', '=', 'failed')
    expect(await boundedCount(database.db, failed, 6)).to.deep.equal({
      total: 6,
      estimated: false,
    })
  })

  it('above the limit, reports the planner estimate and says it is one', async () => {
    const total = await boundedCount(database.db, database.db.selectFrom('jobs'), 100)
    expect(total.estimated).to.equal(true)
    // The estimate after ANALYZE: close to the truth, and never at or below the limit.
    expect(total.total).to.be.within(seeded * 0.9, seeded * 1.1)
    const floor = await boundedCount(
      database.db,
      database.db.selectFrom('jobs').where('workspace', '=', 'big'),
      seeded - 60,
    )
    expect(floor.estimated).to.equal(true)
    expect(floor.total).to.be.greaterThan(seeded - 60)
  })

  it('lists with their filters counted, or no count when not asked for', async () => {
    const failed = await listJobs(database.db, page({ statuses: ['failed'] }))
    expect(failed.total).to.deep.equal({ total: seeded / 100, estimated: false })
    expect(failed.jobs.every((j) => j.status === 'failed')).to.equal(true)
    const small = await listJobs(database.db, page({ workspace: 'small' }))
    expect(small.total).to.deep.equal({ total: 50, estimated: false })
    const none = await listJobs(database.db, page({ workspace: 'nowhere' }))
    expect(none).to.deep.equal({ jobs: [], total: { total: 0, estimated: false } })
    const uncounted = await listJobs(database.db, page({ count: false, workspace: 'big' }))
    expect(uncounted.jobs).to.have.length(5)
    expect(uncounted.total).to.equal(null)
  })

  it('pages the newest first with a keyset cursor', async () => {
    const first = await listJobs(database.db, page({ limit: 3, count: false }))
    const last = first.jobs[2]!
    const next = await listJobs(
      database.db,
      page({ limit: 3, count: false, cursor: { createdAt: last.createdAt, id: last.id } }),
    )
    expect(next.jobs.map((j) => j.createdAt.getTime())).to.deep.equal(
      [1, 2, 3].map((k) => last.createdAt.getTime() - k * 1000),
    )
  })

  it('counts the audit log the same way', async () => {
    const { total } = await listAuditEntries(database.db, { limit: 10, offset: 0, count: true })
    expect(total).to.deep.equal({ total: 0, estimated: false })
  })
})
