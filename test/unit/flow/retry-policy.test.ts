import { expect } from 'chai'
import { DEFAULT_RETRY, nextRetryDelayMs } from '../../../src/flow/retry-policy.ts'
import type { RetryPolicy } from '../../../src/workspace/workspace.ts'

const policy = (over: Partial<RetryPolicy>): RetryPolicy => ({ ...DEFAULT_RETRY, ...over })

describe('retry policy', () => {
  it('defaults to 3 attempts, 30 s apart, fixed, without jitter', () => {
    expect(DEFAULT_RETRY).to.deep.equal({
      maxAttempts: 3,
      delaySecs: 30,
      backoff: 'fixed',
      jitter: false,
    })
    expect(Object.isFrozen(DEFAULT_RETRY)).to.equal(true)
  })

  const table: Array<{
    name: string
    policy: RetryPolicy | null
    failed: number
    random?: number
    want: number | null
  }> = [
    { name: 'no policy runs the step once', policy: null, failed: 1, want: null },
    { name: 'default: first retry after 30 s', policy: DEFAULT_RETRY, failed: 1, want: 30_000 },
    { name: 'default: second retry after 30 s', policy: DEFAULT_RETRY, failed: 2, want: 30_000 },
    { name: 'default: no attempt after the third', policy: DEFAULT_RETRY, failed: 3, want: null },
    {
      name: 'max_attempts 1 never retries',
      policy: policy({ maxAttempts: 1 }),
      failed: 1,
      want: null,
    },
    {
      name: 'exponential retry 1 waits the delay',
      policy: policy({ maxAttempts: 10, delaySecs: 2, backoff: 'exponential' }),
      failed: 1,
      want: 2_000,
    },
    {
      name: 'exponential retry 2 waits twice the delay',
      policy: policy({ maxAttempts: 10, delaySecs: 2, backoff: 'exponential' }),
      failed: 2,
      want: 4_000,
    },
    {
      name: 'exponential retry 4 waits 8x',
      policy: policy({ maxAttempts: 10, delaySecs: 2, backoff: 'exponential' }),
      failed: 4,
      want: 16_000,
    },
    {
      name: 'exponential retry 7 reaches the 64x cap',
      policy: policy({ maxAttempts: 10, delaySecs: 2, backoff: 'exponential' }),
      failed: 7,
      want: 128_000,
    },
    {
      name: 'exponential retry 9 stays at the 64x cap',
      policy: policy({ maxAttempts: 10, delaySecs: 2, backoff: 'exponential' }),
      failed: 9,
      want: 128_000,
    },
    {
      name: 'exponential stops at max_attempts',
      policy: policy({ maxAttempts: 10, delaySecs: 2, backoff: 'exponential' }),
      failed: 10,
      want: null,
    },
    {
      name: 'jitter 0 adds nothing',
      policy: policy({ jitter: true }),
      failed: 1,
      random: 0,
      want: 30_000,
    },
    {
      name: 'jitter 0.5 adds 12.5 %',
      policy: policy({ jitter: true }),
      failed: 1,
      random: 0.5,
      want: 33_750,
    },
    {
      name: 'jitter just under 1 adds just under 25 %',
      policy: policy({ jitter: true }),
      failed: 1,
      random: 0.999999,
      want: 37_500,
    },
    {
      name: 'jitter applies after the exponential cap',
      policy: policy({ maxAttempts: 10, delaySecs: 1, backoff: 'exponential', jitter: true }),
      failed: 9,
      random: 0.5,
      want: 72_000,
    },
    {
      name: 'a sub-second delay is kept in ms',
      policy: policy({ delaySecs: 0.25 }),
      failed: 1,
      want: 250,
    },
  ]
  for (const row of table) {
    it(row.name, () => {
      const random = (): number => row.random ?? 0
      expect(nextRetryDelayMs(row.failed, row.policy, random)).to.equal(row.want)
    })
  }

  it('uses Math.random by default and stays within 0-25 % jitter', () => {
    for (let i = 0; i < 50; i++) {
      const ms = nextRetryDelayMs(1, policy({ jitter: true }))
      expect(ms).to.be.within(30_000, 37_500)
    }
  })

  it('does not call random without jitter', () => {
    const random = (): number => {
      throw new Error('random must not be called')
    }
    expect(nextRetryDelayMs(1, DEFAULT_RETRY, random)).to.equal(30_000)
  })
})
