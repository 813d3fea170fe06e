import { expect } from 'chai'
import {
  perSecond,
  stepHeld,
  summarize,
  sustainedRate,
  type RateStep,
} from '../../../scripts/bench/stats.ts'

const level = (rate: number, p99: number, completed = rate, offered = rate): RateStep => ({
  rate,
  p99,
  completed,
  offered,
})

describe('bench statistics', () => {
  it('summarizes percentiles by rank, whatever the input order', () => {
    const s = summarize(Array.from({ length: 100 }, (_, i) => 100 - i))
    expect(s).to.deep.include({ n: 100, p50: 51, p95: 96, p99: 100, max: 100 })
    expect(s.mean).to.equal(50.5)
  })

  it('gives NaN percentiles for no samples', () => {
    const s = summarize([])
    expect(s.n).to.equal(0)
    expect(s.p50).to.be.NaN
  })

  it('turns a count over milliseconds into a rate', () => {
    expect(perSecond(500, 250)).to.equal(2000)
    expect(perSecond(5, 0)).to.be.NaN
  })

  describe('sustainedRate', () => {
    it('is the highest level before the first one that broke the limit', () => {
      const steps = [level(100, 40), level(200, 90), level(300, 400), level(400, 120)]
      expect(sustainedRate(steps, 250)).to.equal(200)
    })

    it('counts a level with unfinished executions as broken', () => {
      expect(stepHeld(level(200, 50, 390, 400), 250)).to.equal(false)
      expect(sustainedRate([level(100, 40), level(200, 50, 390, 400)], 250)).to.equal(100)
    })

    it('is null when even the lowest level broke', () => {
      expect(sustainedRate([level(100, 900)], 250)).to.equal(null)
    })

    it('sorts levels by rate first', () => {
      expect(sustainedRate([level(300, 10), level(100, 10), level(200, 10)], 250)).to.equal(300)
    })
  })
})
