import { expect } from 'chai'
import { formatTable, judge, ratiosFor, type Row } from '../../../scripts/bench/report.ts'
import { summarize } from '../../../scripts/bench/stats.ts'

const weirLatency: Row = {
  scenario: 'B1',
  name: 'echo',
  db: 'pg',
  latency: summarize([10, 12, 14]),
  target: 'p50 ≤ 10 ms',
  met: false,
  compare: { key: 'echo-latency', system: 'weir' },
}
const weirRate: Row = {
  scenario: 'B6',
  name: 'no-op',
  db: 'pg',
  value: { amount: 900, unit: 'steps/s' },
  compare: { key: 'noop-throughput', system: 'weir' },
}
const baselines: Row[] = [
  {
    scenario: 'base',
    name: 'gw echo',
    db: 'pg',
    latency: summarize([4, 6, 8]),
    compare: { key: 'echo-latency', system: 'graphile-worker' },
  },
  {
    scenario: 'base',
    name: 'gw no-op',
    db: 'pg',
    value: { amount: 300, unit: 'jobs/s' },
    compare: { key: 'noop-throughput', system: 'graphile-worker' },
  },
  {
    scenario: 'base',
    name: 'boss no-op',
    db: 'pg',
    value: { amount: 1800, unit: 'jobs/s' },
    compare: { key: 'noop-throughput', system: 'pg-boss' },
  },
]
const all = [weirLatency, weirRate, ...baselines]

describe('bench report', () => {
  it('divides Weir by each baseline with the same key: p50 for latency, amounts for rates', () => {
    expect(ratiosFor(weirLatency, all)).to.deep.equal(['graphile-worker 2.00×'])
    expect(ratiosFor(weirRate, all)).to.deep.equal(['graphile-worker 3.00×', 'pg-boss 0.50×'])
  })

  it('gives baseline rows no ratios of their own', () => {
    expect(ratiosFor(baselines[0]!, all)).to.deep.equal([])
  })

  it('judges targets on PostgreSQL only', () => {
    expect(judge('pg', true)).to.equal(true)
    expect(judge('pg', false)).to.equal(false)
    expect(judge('pglite', false)).to.equal(null)
    expect(judge('pg', undefined)).to.equal(null)
  })

  it('prints one line per row with the percentiles, the verdict and the ratios', () => {
    const out = formatTable('PostgreSQL', all).split('\n')
    expect(out[0]).to.equal('PostgreSQL')
    expect(out).to.have.length(3 + all.length)
    const b1 = out.find((l) => l.startsWith('B1 echo'))!
    expect(b1).to.include('12.0 ms')
    expect(b1).to.include('14.0 ms / 14.0 ms')
    expect(b1).to.include('NO')
    expect(b1).to.include('Weir ÷ graphile-worker 2.00×')
    expect(out.find((l) => l.startsWith('B6 no-op'))).to.include('900 steps/s')
  })
})
