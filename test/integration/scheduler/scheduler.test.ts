import { expect } from 'chai'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from 'kysely'
import { createDb, type Database } from '../../../src/db/create-db.ts'
import { createLeaderElection, type LeaderElection } from '../../../src/db/leader-lock.ts'
import { listTriggerStates } from '../../../src/db/repositories/trigger-state.repository.ts'
import type { Scheduler } from '../../../src/scheduler/scheduler.ts'
import type { Clock } from '../../../src/shared/clock.ts'
import { silentLogger } from '../../../src/shared/logger.ts'
import type { WorkspaceRegistry } from '../../../src/workspace/workspace-registry.ts'
import type { CatchUpPolicy } from '../../../src/workspace/workspace.ts'
import {
  createTestDb,
  onlyOnPostgres,
  truncateAll,
  type TestDatabase,
} from '../../helpers/test-db.ts'
import { waitFor } from '../../helpers/wait-for.ts'
import { schedulerOn as schedulerFor, workspaceW } from './scheduler-fixture.ts'

const TASK_YAML = `
actions:
  say:
    type: script
    script: echo hi
tasks:
  tick:
    input:
      origin:
        type: string
        default: manual
    flow:
      only:
        action: say
`

class TestClock implements Clock {
  current: Date
  constructor(start: Date) {
    this.current = start
  }
  now(): Date {
    return this.current
  }
  nowMs(): number {
    return this.current.getTime()
  }
}

const T0 = new Date('2026-03-02T10:00:30.000Z')
const minutesAfterT0 = (m: number): Date => new Date(T0.getTime() + m * 60_000)

interface Fired {
  fire_key: string | null
  source_id: string | null
  status: string
  input: unknown
}

describe('Scheduler', function () {
  this.timeout(20000)
  let testDb: TestDatabase
  let dir: string
  let registry: WorkspaceRegistry
  const clock = new TestClock(T0)

  const schedulerOn = (database: Database): Scheduler => schedulerFor(database, registry, clock)

  async function useTrigger(fields: string): Promise<void> {
    const yaml = `${TASK_YAML}
triggers:
  every-minute:
    type: scheduler
    cron: "* * * * *"
    task: tick
    input:
      origin: cron
${fields
  .split('\n')
  .filter(Boolean)
  .map((l) => `    ${l.trim()}`)
  .join('\n')}
`
    writeFileSync(join(dir, '.workflows', 'x.yaml'), yaml)
    const entry = await registry.reload('w')
    if (!entry.current) throw new Error(`workspace failed to load: ${entry.error}`)
  }

  async function jobs(): Promise<Fired[]> {
    return testDb.db
      .selectFrom('jobs')
      .select(['fire_key', 'source_id', 'status', 'input'])
      .orderBy('fire_key')
      .execute()
  }
  const keys = async (): Promise<Array<string | null>> => (await jobs()).map((j) => j.fire_key)
  const slotKey = (iso: string) => `w/every-minute/2026-03-02T${iso}:00.000Z`

  async function eventTypes(): Promise<string[]> {
    const rows = await testDb.db.selectFrom('job_events').select('type').orderBy('id').execute()
    return rows.map((r) => r.type)
  }

  before(async function () {
    this.timeout(30000)
    testDb = await createTestDb()
    ;({ dir, registry } = workspaceW('weir-scheduler-'))
    writeFileSync(join(dir, '.workflows', 'x.yaml'), TASK_YAML)
  })
  after(async () => {
    await testDb?.close()
    rmSync(dir, { recursive: true, force: true })
  })
  beforeEach(async () => {
    await truncateAll(testDb)
    clock.current = T0
  })

  it('starts a new trigger from now and fires the first slot exactly at its time', async () => {
    await useTrigger('')
    const scheduler = schedulerOn(testDb)
    expect(await scheduler.runOnce(T0)).to.deep.equal({ fired: 0, skipped: 0 })
    const [state] = await listTriggerStates(testDb.db)
    expect(state!.nextFireAt!.toISOString()).to.equal('2026-03-02T10:01:00.000Z')
    const slot = new Date('2026-03-02T10:01:00.000Z')
    expect(await scheduler.runOnce(slot)).to.deep.equal({ fired: 1, skipped: 0 })
    const [job] = await jobs()
    expect(job).to.deep.include({
      fire_key: slotKey('10:01'),
      source_id: 'w/every-minute',
      status: 'pending',
    })
    expect(job!.input).to.deep.equal({ origin: 'cron' })
    const [after] = await listTriggerStates(testDb.db)
    expect(after!.nextFireAt!.toISOString()).to.equal('2026-03-02T10:02:00.000Z')
    expect(after!.lastFiredAt!.toISOString()).to.equal(slot.toISOString())
    expect(await eventTypes()).to.deep.equal(['job.created', 'trigger.fired'])
  })

  it('creates no duplicate when a pass repeats for the same now', async () => {
    await useTrigger('')
    const scheduler = schedulerOn(testDb)
    await scheduler.runOnce(T0)
    const now = minutesAfterT0(1)
    expect((await scheduler.runOnce(now)).fired).to.equal(1)
    expect((await scheduler.runOnce(now)).fired).to.equal(0)
    expect((await schedulerOn(testDb).runOnce(now)).fired).to.equal(0)
    expect(await keys()).to.deep.equal([slotKey('10:01')])
  })

  const gaps: Array<{ policy: CatchUpPolicy; extra: string; fired: string[]; skipped: number }> = [
    { policy: 'none', extra: '', fired: [], skipped: 4 },
    { policy: 'latest', extra: '', fired: ['10:04'], skipped: 3 },
    { policy: 'all', extra: '', fired: ['10:01', '10:02', '10:03', '10:04'], skipped: 0 },
    { policy: 'all', extra: 'max_catch_up: 2', fired: ['10:03', '10:04'], skipped: 2 },
  ]
  for (const g of gaps) {
    it(`after a gap of four slots, catch_up ${g.policy} ${g.extra} fires ${g.fired.length}`, async () => {
      await useTrigger(`catch_up: ${g.policy}\n${g.extra}`)
      const scheduler = schedulerOn(testDb)
      await scheduler.runOnce(T0)
      const now = new Date('2026-03-02T10:04:40.000Z')
      expect(await scheduler.runOnce(now)).to.deep.equal({
        fired: g.fired.length,
        skipped: g.skipped,
      })
      expect(await keys()).to.deep.equal(g.fired.map(slotKey))
      const [state] = await listTriggerStates(testDb.db)
      expect(state!.nextFireAt!.toISOString()).to.equal('2026-03-02T10:05:00.000Z')
      expect((await scheduler.runOnce(now)).fired).to.equal(0)
    })
  }

  it('with concurrency: skip and an active job creates no job and emits trigger.skipped', async () => {
    await useTrigger('concurrency: skip')
    const scheduler = schedulerOn(testDb)
    await scheduler.runOnce(T0)
    expect((await scheduler.runOnce(minutesAfterT0(1))).fired).to.equal(1)
    expect(await scheduler.runOnce(minutesAfterT0(2))).to.deep.equal({ fired: 0, skipped: 1 })
    expect(await keys()).to.deep.equal([slotKey('10:01')])
    expect(await eventTypes()).to.deep.equal(['job.created', 'trigger.fired', 'trigger.skipped'])
    const [state] = await listTriggerStates(testDb.db)
    expect(state!.nextFireAt!.toISOString()).to.equal('2026-03-02T10:03:00.000Z')
    await sql`UPDATE jobs SET status = 'completed'`.execute(testDb.db)
    expect((await scheduler.runOnce(minutesAfterT0(3))).fired).to.equal(1)
  })

  it('with concurrency: cancel_previous cancels the active job after firing', async () => {
    await useTrigger('concurrency: cancel_previous')
    const scheduler = schedulerOn(testDb)
    await scheduler.runOnce(T0)
    await scheduler.runOnce(minutesAfterT0(1))
    expect((await scheduler.runOnce(minutesAfterT0(2))).fired).to.equal(1)
    const statuses = (await jobs()).map((j) => [j.fire_key, j.status])
    expect(statuses).to.deep.equal([
      [slotKey('10:01'), 'cancelled'],
      [slotKey('10:02'), 'pending'],
    ])
  })

  it('restarts the schedule from now when the cron changes, and disables a removed trigger', async () => {
    await useTrigger('')
    const scheduler = schedulerOn(testDb)
    await scheduler.runOnce(T0)
    await useTrigger('timezone: Europe/Copenhagen')
    expect((await scheduler.runOnce(minutesAfterT0(5))).fired).to.equal(0)
    const [changed] = await listTriggerStates(testDb.db)
    expect(changed!.nextFireAt!.toISOString()).to.equal('2026-03-02T10:06:00.000Z')
    writeFileSync(join(dir, '.workflows', 'x.yaml'), TASK_YAML)
    await registry.reload('w')
    expect((await scheduler.runOnce(minutesAfterT0(7))).fired).to.equal(0)
    const [removed] = await listTriggerStates(testDb.db)
    expect(removed!.enabled).to.equal(false)
  })

  it('with force_refresh reloads the workspace before firing, so the fire uses the files on disk', async () => {
    await useTrigger('force_refresh: true')
    const scheduler = schedulerOn(testDb)
    await scheduler.runOnce(T0)
    const file = join(dir, '.workflows', 'x.yaml')
    writeFileSync(file, readFileSync(file, 'utf8').replace('origin: cron', 'origin: edited'))
    expect((await scheduler.runOnce(minutesAfterT0(1))).fired).to.equal(1)
    const [job] = await jobs()
    expect(job!.input).to.deep.equal({ origin: 'edited' })
  })

  it('start and stop: stop is idempotent and awaits the loop', async () => {
    await useTrigger('')
    const scheduler = schedulerOn(testDb)
    scheduler.start()
    await waitFor(async () => (await listTriggerStates(testDb.db)).length === 1)
    const first = scheduler.stop()
    expect(scheduler.stop()).to.equal(first)
    await first
  })

  describe('on PostgreSQL with two connections', () => {
    let second: Database | null = null
    afterEach(async () => {
      await second?.close()
      second = null
    })

    it('two schedulers racing for the same slots create exactly one job per slot', async function () {
      onlyOnPostgres(this)
      second = await createDb({ kind: 'postgres', url: testDb.url! }, silentLogger())
      await useTrigger('catch_up: all')
      const a = schedulerOn(testDb)
      const b = schedulerOn(second)
      await Promise.all([a.runOnce(T0), b.runOnce(T0)])
      for (let round = 1; round <= 3; round++) {
        const now = new Date(T0.getTime() + round * 150_000)
        const [ra, rb] = await Promise.all([a.runOnce(now), b.runOnce(now)])
        expect(ra.fired + rb.fired).to.be.greaterThan(0)
      }
      const all = await keys()
      expect(all).to.deep.equal([...new Set(all)])
      expect(all).to.deep.equal(
        ['10:01', '10:02', '10:03', '10:04', '10:05', '10:06', '10:07', '10:08'].map(slotKey),
      )
    })

    it('leader election: exactly one leader, and the follower takes over when it stops', async function () {
      onlyOnPostgres(this)
      this.timeout(15000)
      second = await createDb({ kind: 'postgres', url: testDb.url! }, silentLogger())
      const elected: string[] = []
      const make = (name: string, database: Database): LeaderElection =>
        createLeaderElection(database, silentLogger(), {
          onElected: () => elected.push(name),
          onLost: () => elected.push(`${name} lost`),
        })
      const a = make('a', testDb)
      const b = make('b', second)
      try {
        a.start()
        b.start()
        await waitFor(() => a.isLeader() || b.isLeader(), { timeoutMs: 5000 })
        // Both have tried at least once by the second attempt of the follower.
        await waitFor(() => elected.length >= 1, { timeoutMs: 5000 })
        expect([a.isLeader(), b.isLeader()].filter(Boolean)).to.have.length(1)
        const [leader, follower] = a.isLeader() ? [a, b] : [b, a]
        await leader.stop()
        await waitFor(() => follower.isLeader(), { timeoutMs: 3500, what: 'failover' })
        expect(elected).to.have.length(2)
      } finally {
        await Promise.all([a.stop(), b.stop()])
      }
    })
  })

  it('leader election on PGlite: always leader', async function () {
    if (testDb.kind !== 'pglite') this.skip()
    let elected = 0
    const e = createLeaderElection(testDb, silentLogger(), {
      onElected: () => elected++,
      onLost: () => {},
    })
    e.start()
    expect(e.isLeader()).to.equal(true)
    expect(elected).to.equal(1)
    await e.stop()
    expect(e.isLeader()).to.equal(false)
  })
})
