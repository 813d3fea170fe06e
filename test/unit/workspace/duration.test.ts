import { expect } from 'chai'
import { DURATION_CAPS, checkDuration, parseDuration } from '../../../src/workspace/duration.ts'

describe('durations', () => {
  const valid: Array<[string | number, number]> = [
    [30, 30],
    ['300', 300],
    ['30s', 30],
    ['5m', 300],
    ['1h', 3600],
    ['1h30m', 5400],
    ['2h15m30s', 8130],
    ['90m', 5400],
    ['168h', 604800],
  ]
  for (const [value, seconds] of valid) {
    it(`reads ${JSON.stringify(value)} as ${seconds}s`, () => {
      expect(parseDuration(value)).to.deep.equal({ ok: true, seconds })
    })
  }

  const invalid: Array<string | number> = [
    '1d',
    '1.5h',
    '1h 30m',
    '1h30',
    '-5s',
    '',
    'm',
    '5 s',
    '5S',
    1.5,
    -3,
  ]
  for (const value of invalid) {
    it(`rejects ${JSON.stringify(value)}`, () => {
      expect(parseDuration(value)).to.deep.equal({ ok: false, reason: 'invalid' })
    })
  }

  for (const value of [0, '0', '0s', '0h0m']) {
    it(`rejects the zero duration ${JSON.stringify(value)}`, () => {
      expect(parseDuration(value)).to.deep.equal({ ok: false, reason: 'zero' })
    })
  }

  it('applies the cap of each use', () => {
    expect(checkDuration('24h', 'step', 'timeout')).to.deep.equal({ ok: true, seconds: 86400 })
    expect(checkDuration('90000s', 'step', 'timeout')).to.deep.equal({
      ok: false,
      message: "timeout '90000s' exceeds the 24h step maximum",
    })
    expect(checkDuration('168h', 'task', 'timeout')).to.deep.equal({
      ok: true,
      seconds: DURATION_CAPS.task,
    })
    expect(checkDuration('169h', 'task', 'timeout').ok).to.equal(false)
    expect(checkDuration(3601, 'retryDelay', 'retry delay')).to.deep.equal({
      ok: false,
      message: 'retry delay 3601 exceeds the 1h retry delay maximum',
    })
  })

  it('explains invalid and zero durations', () => {
    expect(checkDuration('5x', 'step', 'timeout')).to.deep.equal({
      ok: false,
      message:
        "timeout '5x' is not a valid duration (use seconds or h/m/s groups such as 30s, 5m, 1h30m)",
    })
    expect(checkDuration('0s', 'step', 'timeout')).to.deep.equal({
      ok: false,
      message: "timeout '0s' must be greater than zero",
    })
  })
})
