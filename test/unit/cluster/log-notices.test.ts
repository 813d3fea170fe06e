import { expect } from 'chai'
import { formatLogNotice, parseLogNotice } from '../../../src/cluster/log-notices.ts'

const JOB = '01900000-0000-7000-8000-000000000001'

describe('log notices', () => {
  it('round-trips a progress notice and an end notice', () => {
    for (const n of [
      { jobId: JOB, seq: 17, endStatus: null },
      { jobId: JOB, seq: 0, endStatus: 'completed' },
    ]) {
      expect(parseLogNotice(formatLogNotice(n))).to.deep.equal(n)
    }
    expect(formatLogNotice({ jobId: JOB, seq: 3, endStatus: null })).to.equal(`${JOB}:3`)
    expect(formatLogNotice({ jobId: JOB, seq: 3, endStatus: 'failed' })).to.equal(`${JOB}:3:failed`)
  })

  it('ignores malformed payloads', () => {
    for (const p of ['', JOB, `${JOB}:`, `${JOB}:x`, `${JOB}:-1`, `${JOB}:1:a:b`, ':4']) {
      expect(parseLogNotice(p), p).to.equal(null)
    }
  })
})
