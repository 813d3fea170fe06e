import { expect } from 'chai'
import { planCatchUp } from '../../../src/scheduler/catch-up.ts'
import type { CatchUpPolicy } from '../../../src/workspace/workspace.ts'

const slot = (minute: number): Date => new Date(Date.UTC(2026, 2, 2, 10, minute))
const minutes = (dates: ReadonlyArray<Date>): number[] => dates.map((d) => d.getUTCMinutes())

describe('planCatchUp', () => {
  const table: Array<{
    name: string
    policy: CatchUpPolicy
    maxCatchUp: number
    missed: number[]
    fire: number[]
    skipped: number[]
  }> = [
    {
      name: 'none skips every missed slot',
      policy: 'none',
      maxCatchUp: 10,
      missed: [1, 2, 3],
      fire: [],
      skipped: [1, 2, 3],
    },
    {
      name: 'latest fires only the newest slot',
      policy: 'latest',
      maxCatchUp: 10,
      missed: [1, 2, 3],
      fire: [3],
      skipped: [1, 2],
    },
    {
      name: 'latest ignores max_catch_up',
      policy: 'latest',
      maxCatchUp: 0,
      missed: [1, 2],
      fire: [2],
      skipped: [1],
    },
    {
      name: 'latest fires a single missed slot',
      policy: 'latest',
      maxCatchUp: 10,
      missed: [7],
      fire: [7],
      skipped: [],
    },
    {
      name: 'all fires every slot in order under the cap',
      policy: 'all',
      maxCatchUp: 10,
      missed: [1, 2, 3],
      fire: [1, 2, 3],
      skipped: [],
    },
    {
      name: 'all fires exactly max_catch_up slots at the cap',
      policy: 'all',
      maxCatchUp: 3,
      missed: [1, 2, 3],
      fire: [1, 2, 3],
      skipped: [],
    },
    {
      name: 'all keeps the newest max_catch_up slots when capped',
      policy: 'all',
      maxCatchUp: 2,
      missed: [1, 2, 3, 4, 5],
      fire: [4, 5],
      skipped: [1, 2, 3],
    },
    {
      name: 'all with max_catch_up 0 skips everything',
      policy: 'all',
      maxCatchUp: 0,
      missed: [1, 2],
      fire: [],
      skipped: [1, 2],
    },
    {
      name: 'none with nothing missed',
      policy: 'none',
      maxCatchUp: 10,
      missed: [],
      fire: [],
      skipped: [],
    },
    {
      name: 'latest with nothing missed',
      policy: 'latest',
      maxCatchUp: 10,
      missed: [],
      fire: [],
      skipped: [],
    },
    {
      name: 'all with nothing missed',
      policy: 'all',
      maxCatchUp: 10,
      missed: [],
      fire: [],
      skipped: [],
    },
  ]
  for (const row of table) {
    it(row.name, () => {
      const plan = planCatchUp({
        policy: row.policy,
        maxCatchUp: row.maxCatchUp,
        missed: row.missed.map(slot),
      })
      expect(minutes(plan.fire)).to.deep.equal(row.fire)
      expect(minutes(plan.skipped)).to.deep.equal(row.skipped)
    })
  }

  it('treats newest as the latest nominal time even if slots arrive unordered', () => {
    const plan = planCatchUp({ policy: 'latest', maxCatchUp: 10, missed: [3, 1, 2].map(slot) })
    expect(minutes(plan.fire)).to.deep.equal([3])
    expect(minutes(plan.skipped)).to.deep.equal([1, 2])
  })

  it('does not modify the input list', () => {
    const missed = [2, 1].map(slot)
    planCatchUp({ policy: 'all', maxCatchUp: 1, missed })
    expect(minutes(missed)).to.deep.equal([2, 1])
  })
})
