import { expect } from 'chai'
import { classifyStepReply, toStopReason } from '../../../src/runner/remote-wire.ts'

describe('what a lease call answer means (classifyStepReply)', () => {
  const cases: Array<[number | null, unknown, string]> = [
    [200, { next_token: 'x' }, 'ok'],
    [null, null, 'retry'],
    [500, { error: 'Internal server error', code: 'internal' }, 'retry'],
    [503, { error: 'shutting down', code: 'unavailable' }, 'retry'],
    [502, 'Bad gateway', 'retry'],
    [429, null, 'retry'],
    [401, { error: 'bad secret', code: 'unauthorized' }, 'unauthorized'],
    [409, { error: 'lease expired', code: 'lease_expired' }, 'lease_gone'],
    [409, { error: 'used', code: 'lease_token_used' }, 'lease_gone'],
    [409, { error: 'expected seq 3', code: 'conflict' }, 'lease_gone'],
    [404, { error: 'not found', code: 'not_found' }, 'lease_gone'],
    [400, { error: 'lines: expected 1-1000 lines', code: 'validation_failed' }, 'lease_gone'],
  ]
  for (const [status, body, kind] of cases) {
    it(`${status ?? 'no answer'} ${JSON.stringify(body)} -> ${kind}`, () => {
      expect(classifyStepReply(status, body).kind).to.equal(kind)
    })
  }

  it('says why the lease is gone', () => {
    expect(classifyStepReply(409, { error: 'x', code: 'lease_expired' })).to.deep.equal({
      kind: 'lease_gone',
      why: 'lease expired',
    })
    expect(classifyStepReply(409, { error: 'expected seq 3', code: 'conflict' })).to.deep.equal({
      kind: 'lease_gone',
      why: 'server refused the call (409 conflict): expected seq 3',
    })
  })
})

describe('stop reasons from the server (toStopReason)', () => {
  it('keeps timeout and lease_lost; anything else is a cancel', () => {
    expect(
      ['timeout', 'lease_lost', 'cancel_requested', 'other', null].map(toStopReason),
    ).to.deep.equal([
      'timeout',
      'lease_lost',
      'cancel_requested',
      'cancel_requested',
      'cancel_requested',
    ])
  })
})
