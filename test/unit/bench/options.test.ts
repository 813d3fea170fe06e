import { expect } from 'chai'
import { parseBenchArgs, runsOn, SCENARIO_IDS } from '../../../scripts/bench/options.ts'

describe('bench options', () => {
  it('defaults to the full run of every scenario on both databases', () => {
    const r = parseBenchArgs([])
    expect(r.ok).to.equal(true)
    if (!r.ok) return
    expect(r.options.quick).to.equal(false)
    expect(r.options.dbs).to.deep.equal(['pg', 'pglite'])
    expect([...r.options.only]).to.deep.equal([...SCENARIO_IDS])
  })

  it('reads --quick, --db and a case-insensitive --only list', () => {
    const r = parseBenchArgs(['--quick', '--db', 'pg', '--only', 'b1, B4,baselines'])
    expect(r.ok).to.equal(true)
    if (!r.ok) return
    expect(r.options.quick).to.equal(true)
    expect(r.options.dbs).to.deep.equal(['pg'])
    expect([...r.options.only]).to.deep.equal(['B1', 'B4', 'baselines'])
  })

  it('knows the composed-workflow scenarios B15 and B16', () => {
    const r = parseBenchArgs(['--quick', '--only', 'b15,B16'])
    expect(r.ok).to.equal(true)
    if (!r.ok) return
    expect([...r.options.only]).to.deep.equal(['B15', 'B16'])
  })

  it('reads --b14-executions as a positive integer, default none', () => {
    const r = parseBenchArgs(['--b14-executions', '100000'])
    expect(r.ok && r.options.b14Executions).to.equal(100_000)
    const d = parseBenchArgs([])
    expect(d.ok && d.options.b14Executions).to.equal(null)
    const bad = parseBenchArgs(['--b14-executions', '1.5'])
    expect(bad).to.deep.include({ ok: false })
    if (!bad.ok) expect(bad.error).to.include("got '1.5'")
  })

  it('names every unknown scenario at once', () => {
    const r = parseBenchArgs(['--only', 'B1,B2,B99'])
    expect(r).to.deep.include({ ok: false })
    if (r.ok) return
    expect(r.error).to.include("'B2', 'B99'")
  })

  it('rejects an unknown database and an empty --only', () => {
    const db = parseBenchArgs(['--db', 'mysql'])
    expect(db.ok).to.equal(false)
    if (!db.ok) expect(db.error).to.include("got 'mysql'")
    expect(parseBenchArgs(['--only', ' , ']).ok).to.equal(false)
  })

  it('rejects unknown flags with the usage line', () => {
    const r = parseBenchArgs(['--fast'])
    expect(r.ok).to.equal(false)
    if (!r.ok) expect(r.error).to.include('usage: npm run bench')
  })

  describe('runsOn', () => {
    const options = (argv: string[]) => {
      const r = parseBenchArgs(argv)
      if (!r.ok) throw new Error(r.error)
      return r.options
    }

    it('runs B14 and B15 on PostgreSQL only with --quick on both databases', () => {
      const quick = options(['--quick'])
      for (const id of ['B14', 'B15'] as const) {
        expect(runsOn(quick, id, 'pg')).to.equal(true)
        expect(runsOn(quick, id, 'pglite')).to.equal(false)
      }
      expect(runsOn(quick, 'B16', 'pglite')).to.equal(true)
    })

    it('runs them on PGlite in a full run or when PGlite alone is asked for', () => {
      expect(runsOn(options([]), 'B15', 'pglite')).to.equal(true)
      expect(runsOn(options(['--quick', '--db', 'pglite']), 'B15', 'pglite')).to.equal(true)
    })

    it('runs only the scenarios --only names', () => {
      expect(runsOn(options(['--only', 'B16']), 'B15', 'pg')).to.equal(false)
    })
  })
})
