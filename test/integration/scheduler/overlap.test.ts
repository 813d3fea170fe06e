import { expect } from 'chai'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from 'kysely'
import { createDb, type Database } from '../../../src/db/create-db.ts'
import type { Scheduler } from '../../../src/scheduler/scheduler.ts'
import type { Clock } from '../../../src/shared/clock.ts'
import { silentLogger } from '../../../src/shared/logger.ts'
import type { WorkspaceRegistry } from '../../../src/workspace/workspace-registry.ts'
import {
  createTestDb,
  onlyOnPostgres,
  truncateAll,
  type TestDatabase,
} from '../../helpers/test-db.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import { schedulerOn as schedulerFor, workspaceW } from './scheduler-fixture.ts'

const YAML = `
actions:
  say: { type: script, script: echo hi }
tasks:
  tick:
    flow:
      only: { action: say }
triggers:
  every-minute:
    type: scheduler
    cron: "* * * * *"
    task: tick
    concurrency: cancel_previous
`

const T0 = new Date('2026-03-02T10:00:30.000Z')
const minute = (m: number): Date => new Date(T0.getTime() + m * 60_000)
const clock: Clock = { now: () => T0, nowMs: () => T0.getTime() }

interface EventRow {
  type: string
  job_id: string | null
  xid: string
}

describe('concurrency: cancel_previous', function () {
  this.timeout(20000)
  let testDb: TestDatabase
  let dir: string
  let registry: WorkspaceRegistry

  const schedulerOn = (database: Database): Scheduler => schedulerFor(database, registry, clock)

  const jobs = () =>
    testDb.db
      .selectFrom('jobs')
      .select(['id', 'fire_key', 'status', 'cancel_requested_at'])
      .orderBy('fire_key')
      .execute()

  const events = (): Promise<EventRow[]> =>
    testDb.db
      .selectFrom('job_events')
      .select(['type', 'job_id', sql<string>`xid::text`.as('xid')])
      .orderBy('id')
      .execute()

  /** Fires the first slot (10:01) and returns its job id. */
  async function firstJob(scheduler: Scheduler): Promise<string> {
    await scheduler.runOnce(T0)
    expect((await scheduler.runOnce(minute(1))).fired).to.equal(1)
    const [job] = await jobs()
    return job!.id
  }

  before(async function () {
    this.timeout(30000)
    testDb = await createTestDb()
    ;({ dir, registry } = workspaceW('weir-overlap-'))
    writeFileSync(join(dir, '.workflows', 'x.yaml'), YAML)
    const entry = await registry.reload('w')
    if (!entry.current) throw new Error(`workspace failed to load: ${entry.error}`)
  })
  after(async () => {
    await testDb?.close()
    rmSync(dir, { recursive: true, force: true })
  })
  beforeEach(async () => {
    await truncateAll(testDb)
  })

  it('cancels the previous job in the fire transaction (its events share the fire xid)', async () => {
    const scheduler = schedulerOn(testDb)
    const previous = await firstJob(scheduler)
    expect((await scheduler.runOnce(minute(2))).fired).to.equal(1)
    const [old, current] = await jobs()
    expect(old).to.include({ id: previous, status: 'cancelled' })
    expect(current!.status).to.equal('pending')
    const second = (await events()).slice(2)
    const types = second.map((e) => e.type)
    const order = ['job.cancel_requested', 'job.finished', 'job.created', 'trigger.fired']
    expect(order.map((t) => types.indexOf(t))).to.satisfy((at: number[]) =>
      at.every((i, k) => i >= 0 && (k === 0 || i > at[k - 1]!)),
    )
    expect(new Set(second.map((e) => e.xid)).size).to.equal(1)
    expect(second[0]!.job_id).to.equal(previous)
  })

  it('asks a running previous job to stop and starts the new one', async () => {
    const scheduler = schedulerOn(testDb)
    const previous = await firstJob(scheduler)
    await sql`UPDATE jobs SET status = 'running' WHERE id = ${previous}`.execute(testDb.db)
    // As a worker's claim leaves it: running, held by a worker.
    await sql`UPDATE step_runs SET status = 'running', worker_id = gen_random_uuid() WHERE job_id = ${previous}`.execute(
      testDb.db,
    )
    expect((await scheduler.runOnce(minute(2))).fired).to.equal(1)
    const [old, current] = await jobs()
    expect(old!.status).to.equal('running')
    expect(old!.cancel_requested_at).to.be.instanceOf(Date)
    expect(current!.status).to.equal('pending')
    const step = await testDb.db
      .selectFrom('step_runs')
      .select('stop_reason')
      .where('job_id', '=', previous)
      .executeTakeFirstOrThrow()
    expect(step.stop_reason).to.equal('cancel_requested')
  })

  describe('on PostgreSQL with two connections', () => {
    let second: Database | null = null
    beforeEach(async function () {
      onlyOnPostgres(this)
      second = await createDb({ kind: 'postgres', url: testDb.url! }, silentLogger())
    })
    afterEach(async () => {
      await second?.close()
      second = null
    })

    it('waits for the previous job row lock and leaves a job that ended meanwhile alone', async () => {
      const scheduler = schedulerOn(testDb)
      const previous = await firstJob(scheduler)
      let release!: () => void
      let locked!: () => void
      const isLocked = new Promise<void>((r) => (locked = r))
      const holder = second!.db.transaction().execute(async (trx) => {
        await sql`SELECT id FROM jobs WHERE id = ${previous} FOR UPDATE`.execute(trx)
        await sql`UPDATE jobs SET status = 'completed' WHERE id = ${previous}`.execute(trx)
        locked()
        await new Promise<void>((r) => (release = r))
      })
      await isLocked
      const firing = scheduler.runOnce(minute(2))
      await waitFor(
        async () => {
          const { rows } = await sql<{ n: string }>`
            SELECT count(*) AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(testDb.db)
          return Number(rows[0]!.n) > 0
        },
        { timeoutMs: 5000, what: 'the fire to wait on the job row lock' },
      )
      release()
      await holder
      expect((await firing).fired).to.equal(1)
      const [old, current] = await jobs()
      expect(old).to.include({ id: previous, status: 'completed', cancel_requested_at: null })
      expect(current!.status).to.equal('pending')
      expect((await events()).map((e) => e.type)).to.not.include('job.cancel_requested')
    })

    it('two schedulers racing: each previous job is cancelled once, the newest is left', async () => {
      const a = schedulerOn(testDb)
      const b = schedulerOn(second!)
      await Promise.all([a.runOnce(T0), b.runOnce(T0)])
      for (let m = 1; m <= 4; m++) await Promise.all([a.runOnce(minute(m)), b.runOnce(minute(m))])
      const all = await jobs()
      expect(all.map((j) => j.status)).to.deep.equal([
        'cancelled',
        'cancelled',
        'cancelled',
        'pending',
      ])
      const cancels = (await events()).filter((e) => e.type === 'job.cancel_requested')
      expect(cancels.map((e) => e.job_id)).to.have.members(all.slice(0, 3).map((j) => j.id))
    })
  })
})
