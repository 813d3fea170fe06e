import { expect } from 'chai'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from 'kysely'
import { createDb, type Database } from '../../../src/db/create-db.ts'
import { listTriggerStates } from '../../../src/db/repositories/trigger-state.repository.ts'
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
import { schedulerOn as schedulerFor, workspaceW } from './scheduler-fixture.ts'

const TRIGGERS = 20
const names = Array.from({ length: TRIGGERS }, (_, i) => `t${String(i).padStart(2, '0')}`)

function workspaceYaml(catchUp: string): string {
  const triggers = names.map(
    (n) => `  ${n}: { type: scheduler, cron: "* * * * *", task: tick, catch_up: ${catchUp} }`,
  )
  return [
    'actions:',
    '  say: { type: script, script: echo hi }',
    'tasks:',
    '  tick:',
    '    flow:',
    '      only: { action: say }',
    'triggers:',
    ...triggers,
    '',
  ].join('\n')
}

const T0 = new Date('2026-03-02T10:00:30.000Z')
const minute = (m: number): Date => new Date(T0.getTime() + m * 60_000)
const clock: Clock = { now: () => T0, nowMs: () => T0.getTime() }

describe('fire batches', function () {
  this.timeout(20000)
  let testDb: TestDatabase
  let dir: string
  let registry: WorkspaceRegistry

  const schedulerOn = (database: Database): Scheduler => schedulerFor(database, registry, clock)

  async function useWorkspace(catchUp: string): Promise<void> {
    writeFileSync(join(dir, '.workflows', 'x.yaml'), workspaceYaml(catchUp))
    const entry = await registry.reload('w')
    if (!entry.current) throw new Error(`workspace failed to load: ${entry.error}`)
  }

  const fireKeys = async (): Promise<string[]> =>
    (await testDb.db.selectFrom('jobs').select('fire_key').execute()).map((r) => r.fire_key!)

  before(async function () {
    this.timeout(30000)
    testDb = await createTestDb()
    ;({ dir, registry } = workspaceW('weir-fire-batch-'))
  })
  after(async () => {
    await testDb?.close()
    rmSync(dir, { recursive: true, force: true })
  })
  beforeEach(async () => {
    await truncateAll(testDb)
    await sql`DROP TRIGGER IF EXISTS refuse_t07 ON jobs`.execute(testDb.db)
  })

  it('fires every trigger due at one slot in one transaction', async () => {
    await useWorkspace('latest')
    const scheduler = schedulerOn(testDb)
    await scheduler.runOnce(T0)
    expect(await scheduler.runOnce(minute(1))).to.deep.equal({ fired: TRIGGERS, skipped: 0 })
    const fired = await testDb.db
      .selectFrom('job_events')
      .select(sql<string>`xid::text`.as('xid'))
      .where('type', '=', 'trigger.fired')
      .execute()
    expect(fired).to.have.length(TRIGGERS)
    expect(new Set(fired.map((e) => e.xid)).size).to.equal(1)
    const states = await listTriggerStates(testDb.db)
    expect(states.map((s) => s.nextFireAt?.toISOString())).to.deep.equal(
      names.map(() => '2026-03-02T10:02:00.000Z'),
    )
    expect(states.every((s) => s.lastJobId !== null)).to.equal(true)
  })

  it('a trigger whose fire fails does not hold back the others, and stays due', async () => {
    await useWorkspace('latest')
    const scheduler = schedulerOn(testDb)
    await scheduler.runOnce(T0)
    await sql
      .raw(
        `CREATE OR REPLACE FUNCTION refuse_t07() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF NEW.source_id = 'w/t07' THEN RAISE EXCEPTION 'refused for the test'; END IF;
           RETURN NEW;
         END $$`,
      )
      .execute(testDb.db)
    await sql`CREATE TRIGGER refuse_t07 BEFORE INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION refuse_t07()`.execute(
      testDb.db,
    )
    expect((await scheduler.runOnce(minute(1))).fired).to.equal(TRIGGERS - 1)
    const t07 = (await listTriggerStates(testDb.db)).find((s) => s.triggerName === 't07')!
    expect(t07.nextFireAt!.toISOString()).to.equal('2026-03-02T10:01:00.000Z')
    await sql`DROP TRIGGER refuse_t07 ON jobs`.execute(testDb.db)
    expect((await scheduler.runOnce(minute(1))).fired).to.equal(1)
    const keys = await fireKeys()
    expect(keys).to.have.length(TRIGGERS)
    expect(keys).to.include('w/t07/2026-03-02T10:01:00.000Z')
  })

  it('catch_up all fires each missed slot of every trigger once, in rounds', async () => {
    await useWorkspace('all')
    const scheduler = schedulerOn(testDb)
    await scheduler.runOnce(T0)
    const result = await scheduler.runOnce(minute(3))
    expect(result).to.deep.equal({ fired: TRIGGERS * 3, skipped: 0 })
    const keys = await fireKeys()
    expect(new Set(keys).size).to.equal(TRIGGERS * 3)
  })

  describe('on PostgreSQL with two connections', () => {
    let second: Database | null = null
    afterEach(async () => {
      await second?.close()
      second = null
    })

    it('two schedulers racing over many triggers create each slot exactly once', async function () {
      onlyOnPostgres(this)
      second = await createDb({ kind: 'postgres', url: testDb.url! }, silentLogger())
      await useWorkspace('all')
      const a = schedulerOn(testDb)
      const b = schedulerOn(second)
      await Promise.all([a.runOnce(T0), b.runOnce(T0)])
      for (const m of [2, 3, 5]) await Promise.all([a.runOnce(minute(m)), b.runOnce(minute(m))])
      const keys = await fireKeys()
      expect(keys).to.have.length(TRIGGERS * 5)
      expect(new Set(keys).size).to.equal(keys.length)
    })
  })
})
