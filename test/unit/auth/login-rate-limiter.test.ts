import { expect } from 'chai'
import { createLoginRateLimiter } from '../../../src/auth/login-rate-limiter.ts'

function fakeClock(start = 1_000_000) {
  let t = start
  return { now: () => t, advance: (ms: number) => (t += ms) }
}

describe('login rate limiter', () => {
  it('allows up to maxFailures failures in the window, then refuses with the wait', () => {
    const clock = fakeClock()
    const limiter = createLoginRateLimiter({ maxFailures: 3, windowMs: 60_000, now: clock.now })
    for (let i = 0; i < 3; i++) {
      expect(limiter.check('10.0.0.1')).to.deep.equal({ allowed: true })
      limiter.fail('10.0.0.1')
      clock.advance(1000)
    }
    // Failures at t0, t0+1s, t0+2s; now t0+3s: the oldest leaves the window at t0+60s.
    expect(limiter.check('10.0.0.1')).to.deep.equal({ allowed: false, retryAfterSecs: 57 })
  })

  it('slides: one failure leaving the window lets one attempt through', () => {
    const clock = fakeClock()
    const limiter = createLoginRateLimiter({ maxFailures: 2, windowMs: 10_000, now: clock.now })
    limiter.fail('a')
    clock.advance(4000)
    limiter.fail('a')
    expect(limiter.check('a').allowed).to.equal(false)
    clock.advance(6000) // the first failure is exactly 10 s old: out of the window
    expect(limiter.check('a')).to.deep.equal({ allowed: true })
    limiter.fail('a')
    expect(limiter.check('a')).to.deep.equal({ allowed: false, retryAfterSecs: 4 })
    clock.advance(10_000)
    expect(limiter.check('a')).to.deep.equal({ allowed: true })
    expect(limiter.size()).to.equal(0)
  })

  it('keeps addresses apart', () => {
    const clock = fakeClock()
    const limiter = createLoginRateLimiter({ maxFailures: 1, windowMs: 1000, now: clock.now })
    limiter.fail('a')
    expect(limiter.check('a').allowed).to.equal(false)
    expect(limiter.check('b').allowed).to.equal(true)
  })

  it('never reports a wait under one second', () => {
    const clock = fakeClock()
    const limiter = createLoginRateLimiter({ maxFailures: 1, windowMs: 1000, now: clock.now })
    limiter.fail('a')
    clock.advance(999)
    expect(limiter.check('a')).to.deep.equal({ allowed: false, retryAfterSecs: 1 })
  })

  it('bounds the number of tracked addresses', () => {
    const clock = fakeClock()
    const limiter = createLoginRateLimiter({
      maxFailures: 5,
      windowMs: 60_000,
      now: clock.now,
      maxKeys: 100,
    })
    for (let i = 0; i < 1000; i++) limiter.fail(`addr-${i}`)
    expect(limiter.size()).to.be.at.most(100)
    // The newest addresses are still tracked.
    for (let i = 0; i < 4; i++) limiter.fail('addr-999')
    expect(limiter.check('addr-999').allowed).to.equal(false)
  })
})
