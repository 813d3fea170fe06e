import { expect } from 'chai'
import {
  boundAttempt,
  checkCompletionStatus,
  decideMutatingCall,
  decideReadOnlyCall,
  leaseTag,
  nextLeaseToken,
  tagOfToken,
  type LeaseState,
} from '../../../src/workers/lease-chain.ts'

const WORKER = '11111111-1111-4111-8111-111111111111'
const OTHER_WORKER = '22222222-2222-4222-8222-222222222222'
const STEP = '0190aaaa-bbbb-7ccc-8ddd-000000000001'

const token = (attempt: number, rand: string, worker = WORKER) =>
  `wlt_${leaseTag(worker, STEP, attempt)}${rand}`

function state(over: Partial<LeaseState> = {}): LeaseState {
  return {
    stepId: STEP,
    stepName: 'build',
    status: 'running',
    attempt: 1,
    workerId: WORKER,
    leaseToken: token(1, 'c2'),
    prevLeaseToken: token(1, 'c1'),
    leaseSeq: 1,
    leaseReply: { next_token: token(1, 'c2') },
    live: true,
    stopReason: null,
    ...over,
  }
}

const call = (t: string, seq: number, workerId = WORKER) => ({ workerId, token: t, seq })

describe('lease chain', () => {
  describe('tokens', () => {
    it('carry a 12-hex binding tag that the next token keeps', () => {
      const t = token(1, 'abc')
      expect(tagOfToken(t))
        .to.equal(leaseTag(WORKER, STEP, 1))
        .and.match(/^[0-9a-f]{12}$/)
      const next = nextLeaseToken(t, 'xyz')
      expect(tagOfToken(next)).to.equal(tagOfToken(t))
      expect(next).to.not.equal(t)
    })

    it('reject strings that are not lease tokens', () => {
      for (const bad of ['', 'abc', 'wlt_', 'wlt_123', 'wlt_ZZZZZZZZZZZZabc', `x${token(1, 'a')}`])
        expect(tagOfToken(bad), bad).to.equal(null)
    })

    it('differ by worker, step and attempt', () => {
      const tags = new Set([
        leaseTag(WORKER, STEP, 1),
        leaseTag(WORKER, STEP, 2),
        leaseTag(OTHER_WORKER, STEP, 1),
        leaseTag(WORKER, '0190aaaa-bbbb-7ccc-8ddd-000000000002', 1),
      ])
      expect(tags.size).to.equal(4)
    })

    it('are bound to the attempt they were issued for', () => {
      const s = state({ attempt: 3 })
      expect(boundAttempt(s, call(token(2, 'q'), 1))).to.equal(2)
      expect(boundAttempt(s, call(token(2, 'q', OTHER_WORKER), 1))).to.equal(null)
      expect(boundAttempt(s, call(token(4, 'q'), 1))).to.equal(null)
    })
  })

  describe('mutating calls', () => {
    const table: Array<[string, Partial<LeaseState>, ReturnType<typeof call>, string]> = [
      ['current token, next seq', {}, call(token(1, 'c2'), 2), 'apply'],
      ['current token, same seq', {}, call(token(1, 'c2'), 1), 'conflict'],
      ['current token, seq too far', {}, call(token(1, 'c2'), 5), 'conflict'],
      ['current token, lease ran out', { live: false }, call(token(1, 'c2'), 2), 'lease_expired'],
      ['last token, last seq', {}, call(token(1, 'c1'), 1), 'replay'],
      ['last token, another seq', {}, call(token(1, 'c1'), 2), 'lease_token_used'],
      ['an older token of this lease', {}, call(token(1, 'c0'), 1), 'lease_token_used'],
      ['another worker', {}, call(token(1, 'c2', OTHER_WORKER), 2, OTHER_WORKER), 'not_found'],
      ['my token, other secret', {}, call(token(1, 'c2'), 2, OTHER_WORKER), 'not_found'],
      ['garbage', {}, call('nonsense', 2), 'not_found'],
      [
        'a token of the previous attempt',
        { attempt: 2, leaseToken: token(2, 'n1'), prevLeaseToken: null, leaseSeq: 0 },
        call(token(1, 'c2'), 2),
        'lease_expired',
      ],
      [
        'the step was failed by the sweeper',
        { status: 'failed', leaseToken: null, prevLeaseToken: null, workerId: WORKER },
        call(token(1, 'c2'), 2),
        'lease_expired',
      ],
      [
        'replay of a complete that ended the step',
        { status: 'completed', leaseToken: null, prevLeaseToken: token(1, 'c2'), leaseSeq: 2 },
        call(token(1, 'c2'), 2),
        'replay',
      ],
      [
        'a complete that ended the step, sent again with a new seq',
        { status: 'completed', leaseToken: null, prevLeaseToken: token(1, 'c2'), leaseSeq: 2 },
        call(token(1, 'c2'), 3),
        'lease_token_used',
      ],
    ]
    for (const [name, over, c, expected] of table) {
      it(`${name} -> ${expected}`, () => {
        const d = decideMutatingCall(state(over), c)
        expect(d.kind === 'reject' ? d.code : d.kind).to.equal(expected)
      })
    }

    it('replays the stored reply and names the expected seq', () => {
      const s = state()
      expect(decideMutatingCall(s, call(token(1, 'c1'), 1))).to.deep.equal({
        kind: 'replay',
        reply: s.leaseReply,
      })
      const d = decideMutatingCall(s, call(token(1, 'c2'), 9))
      expect(d.kind === 'reject' && d.message).to.contain('expected seq 2, got 9')
    })
  })

  describe('cancel-check', () => {
    it('accepts the current token and the one just consumed', () => {
      expect(
        decideReadOnlyCall(state(), { workerId: WORKER, token: token(1, 'c2') }),
      ).to.deep.equal({
        kind: 'read',
        current: true,
      })
      expect(
        decideReadOnlyCall(state(), { workerId: WORKER, token: token(1, 'c1') }).kind,
      ).to.equal('read')
    })

    it('refuses older, foreign and ended leases', () => {
      const code = (s: LeaseState, t: string, w = WORKER) => {
        const d = decideReadOnlyCall(s, { workerId: w, token: t })
        return d.kind === 'reject' ? d.code : d.kind
      }
      expect(code(state(), token(1, 'c0'))).to.equal('lease_token_used')
      expect(code(state(), token(1, 'c2'), OTHER_WORKER)).to.equal('not_found')
      expect(code(state({ status: 'completed', leaseToken: null }), token(1, 'c2'))).to.equal(
        'lease_expired',
      )
    })
  })

  it('allows `cancelled` only after a stop request', () => {
    expect(checkCompletionStatus(state(), 'cancelled')).to.contain('only allowed after a stop')
    expect(checkCompletionStatus(state({ stopReason: 'cancel_requested' }), 'cancelled')).to.equal(
      null,
    )
    expect(checkCompletionStatus(state(), 'failed')).to.equal(null)
  })
})
