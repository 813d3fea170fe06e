import { expect } from 'chai'
import { backoffDelayMs } from '../../../src/runner/backoff.ts'

const policy = { baseMs: 250, capMs: 5000 }

describe('reconnect backoff', () => {
  it('doubles from the base and stops at the cap', () => {
    const top = (n: number) => backoffDelayMs(n, policy, () => 0.999999)
    expect([0, 1, 2, 3, 4, 5, 10].map(top)).to.deep.equal([250, 500, 1000, 2000, 4000, 5000, 5000])
  })

  it('jitters between half and all of the delay, never zero, never above the cap', () => {
    expect(backoffDelayMs(0, policy, () => 0)).to.equal(125)
    expect(backoffDelayMs(3, policy, () => 0.5)).to.equal(1500)
    expect(backoffDelayMs(50, policy, () => 0)).to.equal(2500)
    for (let i = 0; i < 100; i++) {
      const d = backoffDelayMs(i % 12, policy)
      expect(d).to.be.within(125, 5000)
    }
  })

  it('treats a negative attempt as the first', () => {
    expect(backoffDelayMs(-3, policy, () => 0.999999)).to.equal(250)
  })
})
