import { expect } from 'chai'
import {
  MAX_LISTED_SKIPS,
  fireKeyOf,
  planFires,
  specHashOf,
  type FirePlanInput,
} from '../../../src/scheduler/fire-plan.ts'
import type { CatchUpPolicy } from '../../../src/workspace/workspace.ts'

const at = (hhmm: string): Date => new Date(`2026-03-02T${hhmm}:00.000Z`)
const iso = (dates: ReadonlyArray<Date>): string[] =>
  dates.map((d) => d.toISOString().slice(11, 16))

const base: FirePlanInput = {
  nextFireAt: at('10:05'),
  cron: '*/5 * * * *',
  timezone: 'UTC',
  catchUp: null,
  maxCatchUp: null,
  defaults: { catchUp: 'latest', maxCatchUp: 10 },
  now: at('10:05'),
}

describe('planFires', () => {
  const table: Array<{
    name: string
    input: Partial<FirePlanInput>
    policy: CatchUpPolicy
    fire: string[]
    skipped: string[]
    next: string | null
  }> = [
    {
      name: 'fires the slot exactly at its nominal time',
      input: {},
      policy: 'latest',
      fire: ['10:05'],
      skipped: [],
      next: '10:10',
    },
    {
      name: 'fires nothing before the slot is due',
      input: { now: new Date(at('10:05').getTime() - 1) },
      policy: 'latest',
      fire: [],
      skipped: [],
      next: '10:05',
    },
    {
      name: 'none still fires a slot that is only a little late (on time)',
      input: { now: new Date(at('10:05').getTime() + 1500), catchUp: 'none' },
      policy: 'none',
      fire: ['10:05'],
      skipped: [],
      next: '10:10',
    },
    {
      name: 'none fires the on-time slot and skips the older missed ones',
      input: { now: new Date(at('10:20').getTime() + 5000), catchUp: 'none' },
      policy: 'none',
      fire: ['10:20'],
      skipped: ['10:05', '10:10', '10:15'],
      next: '10:25',
    },
    {
      name: 'none treats a slot later than the grace as missed',
      input: { now: new Date(at('10:05').getTime() + 2000), catchUp: 'none', graceMs: 1000 },
      policy: 'none',
      fire: [],
      skipped: ['10:05'],
      next: '10:10',
    },
    {
      name: 'latest (server default) fires only the newest missed slot',
      input: { now: at('10:21') },
      policy: 'latest',
      fire: ['10:20'],
      skipped: ['10:05', '10:10', '10:15'],
      next: '10:25',
    },
    {
      name: 'none skips every missed slot',
      input: { now: at('10:21'), catchUp: 'none' },
      policy: 'none',
      fire: [],
      skipped: ['10:05', '10:10', '10:15', '10:20'],
      next: '10:25',
    },
    {
      name: 'all fires every missed slot in order',
      input: { now: at('10:20'), catchUp: 'all' },
      policy: 'all',
      fire: ['10:05', '10:10', '10:15', '10:20'],
      skipped: [],
      next: '10:25',
    },
    {
      name: 'all keeps the newest max_catch_up slots',
      input: { now: at('10:24'), catchUp: 'all', maxCatchUp: 2 },
      policy: 'all',
      fire: ['10:15', '10:20'],
      skipped: ['10:05', '10:10'],
      next: '10:25',
    },
    {
      name: 'the server default max_catch_up applies when the trigger sets none',
      input: { now: at('10:24'), defaults: { catchUp: 'all', maxCatchUp: 3 } },
      policy: 'all',
      fire: ['10:10', '10:15', '10:20'],
      skipped: ['10:05'],
      next: '10:25',
    },
    {
      name: 'a trigger policy overrides the server default',
      input: { now: at('10:11'), catchUp: 'none', defaults: { catchUp: 'all', maxCatchUp: 10 } },
      policy: 'none',
      fire: [],
      skipped: ['10:05', '10:10'],
      next: '10:15',
    },
    {
      name: 'a cron that never fires again plans nothing',
      input: { nextFireAt: null, now: at('11:00') },
      policy: 'latest',
      fire: [],
      skipped: [],
      next: null,
    },
  ]
  for (const row of table) {
    it(row.name, () => {
      const plan = planFires({ ...base, ...row.input })
      expect(plan.policy).to.equal(row.policy)
      expect(iso(plan.fire)).to.deep.equal(row.fire)
      expect(iso(plan.skipped)).to.deep.equal(row.skipped)
      expect(plan.skippedTruncated).to.equal(false)
      expect(plan.nextFireAt === null ? null : iso([plan.nextFireAt])[0]).to.equal(row.next)
    })
  }

  it('lists only the newest skipped slots after a long outage', () => {
    const plan = planFires({
      ...base,
      cron: '* * * * * *',
      nextFireAt: new Date('2026-03-02T10:00:00Z'),
      now: new Date('2026-03-02T12:00:00Z'),
      catchUp: 'latest',
    })
    expect(plan.fire.map((d) => d.toISOString())).to.deep.equal(['2026-03-02T12:00:00.000Z'])
    expect(plan.skipped).to.have.length(MAX_LISTED_SKIPS)
    expect(plan.skipped.at(-1)!.toISOString()).to.equal('2026-03-02T11:59:59.000Z')
    expect(plan.skippedTruncated).to.equal(true)
    expect(plan.nextFireAt!.toISOString()).to.equal('2026-03-02T12:00:01.000Z')
  })

  it('computes slots in the trigger time zone', () => {
    const plan = planFires({
      ...base,
      cron: '30 2 * * *',
      timezone: 'Europe/Copenhagen',
      nextFireAt: new Date('2026-01-10T01:30:00Z'),
      now: new Date('2026-01-12T12:00:00Z'),
      catchUp: 'all',
    })
    expect(plan.fire.map((d) => d.toISOString())).to.deep.equal([
      '2026-01-10T01:30:00.000Z',
      '2026-01-11T01:30:00.000Z',
      '2026-01-12T01:30:00.000Z',
    ])
    expect(plan.nextFireAt!.toISOString()).to.equal('2026-01-13T01:30:00.000Z')
  })
})

describe('fireKeyOf and specHashOf', () => {
  it('builds the fire key from workspace, trigger and the UTC slot', () => {
    expect(fireKeyOf('ops', 'nightly', new Date('2026-03-02T10:05:00+01:00'))).to.equal(
      'ops/nightly/2026-03-02T09:05:00.000Z',
    )
  })

  it('changes the spec hash when the cron or the timezone changes', () => {
    const h = specHashOf('*/5 * * * *', 'UTC')
    expect(specHashOf('*/5 * * * *', 'UTC')).to.equal(h)
    expect(specHashOf('*/6 * * * *', 'UTC')).to.not.equal(h)
    expect(specHashOf('*/5 * * * *', 'Europe/Copenhagen')).to.not.equal(h)
  })
})

describe('planFires with a previous pass (slots due while the scheduler ran)', () => {
  const s = (hhmmss: string): Date => new Date(`2026-03-02T${hhmmss}.000Z`)
  const secs = (dates: ReadonlyArray<Date>): string[] =>
    dates.map((d) => d.toISOString().slice(11, 19))
  const every10s: FirePlanInput = { ...base, cron: '*/10 * * * * *', nextFireAt: s('10:00:10') }
  const table: Array<{
    name: string
    input: Partial<FirePlanInput>
    fire: string[]
    skipped: string[]
  }> = [
    {
      name: 'latest fires every slot that fell due since the previous pass (a slow pass)',
      input: { now: s('10:00:35'), previousPassAt: s('10:00:05') },
      fire: ['10:00:10', '10:00:20', '10:00:30'],
      skipped: [],
    },
    {
      name: 'none fires them too: the scheduler was running, nothing was missed',
      input: { now: s('10:00:35'), previousPassAt: s('10:00:05'), catchUp: 'none' },
      fire: ['10:00:10', '10:00:20', '10:00:30'],
      skipped: [],
    },
    {
      name: 'slots before the previous pass are missed and follow the policy',
      input: { now: s('10:00:45'), previousPassAt: s('10:00:25') },
      fire: ['10:00:20', '10:00:30', '10:00:40'],
      skipped: ['10:00:10'],
    },
    {
      name: 'a previous pass longer ago than LIVE_GAP_MS counts as downtime',
      input: { now: s('10:01:35'), previousPassAt: s('10:00:05') },
      fire: ['10:01:30'],
      skipped: [
        '10:00:10',
        '10:00:20',
        '10:00:30',
        '10:00:40',
        '10:00:50',
        '10:01:00',
        '10:01:10',
        '10:01:20',
      ],
    },
    {
      name: 'a previous pass in the future (clock moved back) counts as no pass',
      input: { now: s('10:00:35'), previousPassAt: s('10:00:40') },
      fire: ['10:00:30'],
      skipped: ['10:00:10', '10:00:20'],
    },
  ]
  for (const row of table) {
    it(row.name, () => {
      const plan = planFires({ ...every10s, ...row.input })
      expect(secs(plan.fire)).to.deep.equal(row.fire)
      expect(secs(plan.skipped)).to.deep.equal(row.skipped)
    })
  }
})
