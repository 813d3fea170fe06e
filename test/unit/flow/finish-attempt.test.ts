import { expect } from 'chai'
import { attemptEvent, decideAttemptEnd } from '../../../src/flow/finish-attempt.ts'
import type { StepOutcome } from '../../../src/flow/job.ts'
import type { StepEventType } from '../../../src/flow/state-machine.ts'
import type { RetryPolicy } from '../../../src/workspace/workspace.ts'
import { EARLIER, jobOf, NOW, ran, retryPolicy, stepRun } from './builders.ts'

const completed: StepOutcome = {
  status: 'completed',
  exitCode: 0,
  output: { version: '1.2.3' },
  errorMessage: null,
}
const failed: StepOutcome = {
  status: 'failed',
  exitCode: 1,
  output: { partial: true },
  errorMessage: 'Exit code: 1\nStderr: boom',
}
const cancelled: StepOutcome = {
  status: 'cancelled',
  exitCode: null,
  output: null,
  errorMessage: null,
}
const killed: StepOutcome = { ...cancelled, errorMessage: 'killed by signal SIGTERM' }

const threeRuns = retryPolicy({ maxAttempts: 3, delaySecs: 30 })

describe('flow/finish-attempt', () => {
  describe('attemptEvent', () => {
    type Row = {
      why: string
      outcome: StepOutcome
      cancel?: boolean
      stopReason?: string
      attempt?: number
      retry?: RetryPolicy | null
      want: { event: StepEventType; error: string | null; retryDelayMs: number | null }
    }
    const rows: Row[] = [
      {
        why: 'a completed attempt completes',
        outcome: completed,
        retry: threeRuns,
        want: { event: 'complete', error: null, retryDelayMs: null },
      },
      {
        why: 'a failure with retries left retries after the delay',
        outcome: failed,
        retry: threeRuns,
        want: { event: 'retry', error: 'Exit code: 1\nStderr: boom', retryDelayMs: 30_000 },
      },
      {
        why: 'a second failure under exponential backoff waits twice the delay',
        outcome: failed,
        attempt: 2,
        retry: retryPolicy({ maxAttempts: 4, delaySecs: 10, backoff: 'exponential' }),
        want: { event: 'retry', error: 'Exit code: 1\nStderr: boom', retryDelayMs: 20_000 },
      },
      {
        why: 'a failure of the last attempt fails',
        outcome: failed,
        attempt: 3,
        retry: threeRuns,
        want: { event: 'fail', error: 'Exit code: 1\nStderr: boom', retryDelayMs: null },
      },
      {
        why: 'a failure without a retry policy fails',
        outcome: failed,
        retry: null,
        want: { event: 'fail', error: 'Exit code: 1\nStderr: boom', retryDelayMs: null },
      },
      {
        why: 'a cancelled outcome without a cancel request is a failure with a default message',
        outcome: cancelled,
        want: { event: 'fail', error: 'stopped without a cancel request', retryDelayMs: null },
      },
      {
        why: 'a cancelled outcome without a cancel request keeps its own message',
        outcome: killed,
        want: { event: 'fail', error: 'killed by signal SIGTERM', retryDelayMs: null },
      },
      {
        why: 'a failure after a cancel request is stopped, even with retries left',
        outcome: failed,
        cancel: true,
        retry: threeRuns,
        want: { event: 'stopped', error: 'Exit code: 1\nStderr: boom', retryDelayMs: null },
      },
      {
        why: 'a cancelled outcome after a cancel request is stopped',
        outcome: cancelled,
        cancel: true,
        stopReason: 'cancel_requested',
        want: { event: 'stopped', error: null, retryDelayMs: null },
      },
      {
        why: 'a cancel request wins over a job timeout',
        outcome: killed,
        cancel: true,
        stopReason: 'timeout',
        want: { event: 'stopped', error: 'killed by signal SIGTERM', retryDelayMs: null },
      },
      {
        why: 'a step stopped for the job timeout fails with `job timed out` and no retry',
        outcome: failed,
        stopReason: 'timeout',
        retry: threeRuns,
        want: { event: 'fail', error: 'job timed out', retryDelayMs: null },
      },
      {
        why: 'a cancelled outcome of a step stopped for the job timeout fails with `job timed out`',
        outcome: cancelled,
        stopReason: 'timeout',
        want: { event: 'fail', error: 'job timed out', retryDelayMs: null },
      },
      {
        why: 'a completed attempt wins over a pending cancel',
        outcome: completed,
        cancel: true,
        stopReason: 'cancel_requested',
        want: { event: 'complete', error: null, retryDelayMs: null },
      },
      {
        why: 'a completed attempt wins over the job timeout',
        outcome: completed,
        stopReason: 'timeout',
        want: { event: 'complete', error: null, retryDelayMs: null },
      },
    ]
    for (const r of rows) {
      it(r.why, () => {
        const job = { cancelRequestedAt: r.cancel ? EARLIER : null }
        const step = {
          stopReason: r.stopReason ?? null,
          attempt: r.attempt ?? 1,
          spec: stepRun('build', 'running', { spec: { retry: r.retry ?? null } }).spec,
        }
        expect(attemptEvent(job, step, r.outcome)).to.deep.equal(r.want)
      })
    }
  })

  describe('decideAttemptEnd', () => {
    const running = (over: Parameters<typeof stepRun>[2] = {}) =>
      stepRun('build', 'running', { ...ran, ...over })

    it('completes: keeps the output and exit code, ends the attempt now', () => {
      const end = decideAttemptEnd(jobOf(), running({ spec: { retry: threeRuns } }), completed, NOW)
      expect(end).to.deep.equal({
        move: {
          stepId: 'step-build',
          name: 'build',
          attempt: 1,
          from: 'running',
          event: 'complete',
          to: 'completed',
          effects: ['end_attempt', 'announce_finished', 'log_finished'],
          reason: null,
        },
        attempt: {
          status: 'completed',
          exitCode: 0,
          output: { version: '1.2.3' },
          errorMessage: null,
          retryAt: null,
        },
        patch: {
          status: 'completed',
          output: { version: '1.2.3' },
          errorMessage: null,
          exitCode: 0,
          completedAt: NOW,
        },
        details: { exitCode: 0 },
      })
    })

    it('retries: ready again at now + delay, attempt + 1, the error kept', () => {
      const retryAt = new Date(NOW.getTime() + 30_000)
      const end = decideAttemptEnd(jobOf(), running({ spec: { retry: threeRuns } }), failed, NOW)
      expect(end).to.deep.equal({
        move: {
          stepId: 'step-build',
          name: 'build',
          attempt: 1,
          from: 'running',
          event: 'retry',
          to: 'ready',
          effects: ['next_attempt', 'announce_retrying', 'wake'],
          reason: 'Exit code: 1\nStderr: boom',
        },
        attempt: {
          status: 'ready',
          exitCode: 1,
          output: null,
          errorMessage: 'Exit code: 1\nStderr: boom',
          retryAt,
        },
        patch: {
          status: 'ready',
          errorMessage: 'Exit code: 1\nStderr: boom',
          attempt: 2,
          readyAt: retryAt,
        },
        details: { retryAt, retryDelayMs: 30_000, maxAttempts: 3 },
      })
    })

    it('fails once no retry is left, dropping the output of the failed attempt', () => {
      const step = running({ attempt: 3, spec: { retry: threeRuns } })
      const end = decideAttemptEnd(jobOf(), step, failed, NOW)
      expect(end.move).to.include({ event: 'fail', to: 'failed', attempt: 3 })
      expect(end.attempt).to.deep.equal({
        status: 'failed',
        exitCode: 1,
        output: null,
        errorMessage: 'Exit code: 1\nStderr: boom',
        retryAt: null,
      })
      expect(end.patch).to.deep.equal({
        status: 'failed',
        output: null,
        errorMessage: 'Exit code: 1\nStderr: boom',
        exitCode: 1,
        completedAt: NOW,
      })
      expect(end.details).to.deep.equal({ exitCode: 1 })
    })

    it('fails a cancelled outcome that no cancel request explains', () => {
      const end = decideAttemptEnd(jobOf(), running(), cancelled, NOW)
      expect(end.move).to.include({
        event: 'fail',
        to: 'failed',
        reason: 'stopped without a cancel request',
      })
      expect(end.patch).to.deep.equal({
        status: 'failed',
        output: null,
        errorMessage: 'stopped without a cancel request',
        exitCode: null,
        completedAt: NOW,
      })
    })

    it('stops the step of a job with a cancel request, whatever the outcome', () => {
      const job = jobOf({ cancelRequestedAt: EARLIER })
      const step = running({ stopReason: 'cancel_requested', spec: { retry: threeRuns } })
      const end = decideAttemptEnd(job, step, failed, NOW)
      expect(end.move).to.include({ event: 'stopped', to: 'cancelled' })
      expect(end.attempt).to.deep.equal({
        status: 'cancelled',
        exitCode: 1,
        output: null,
        errorMessage: 'Exit code: 1\nStderr: boom',
        retryAt: null,
      })
      expect(end.patch).to.include({ status: 'cancelled', completedAt: NOW })
    })

    it('fails the step stopped for the job timeout with `job timed out`, retries left or not', () => {
      const step = running({ stopReason: 'timeout', spec: { retry: threeRuns } })
      const end = decideAttemptEnd(jobOf(), step, cancelled, NOW)
      expect(end.move).to.include({ event: 'fail', to: 'failed', reason: 'job timed out' })
      expect(end.attempt).to.include({ status: 'failed', errorMessage: 'job timed out' })
      expect(end.patch).to.include({ status: 'failed', errorMessage: 'job timed out' })
      expect(end.patch).to.not.have.property('attempt')
    })

    it('completes a step that finished while its job was being cancelled', () => {
      const job = jobOf({ cancelRequestedAt: EARLIER })
      const end = decideAttemptEnd(job, running({ stopReason: 'cancel_requested' }), completed, NOW)
      expect(end.move).to.include({ event: 'complete', to: 'completed' })
      expect(end.patch).to.include({ status: 'completed', output: completed.output })
    })

    it('refuses an attempt end for a step that is not running', () => {
      expect(() => decideAttemptEnd(jobOf(), stepRun('build', 'ready'), completed, NOW)).to.throw(
        "step build: illegal step transition: 'complete' in status 'ready'",
      )
    })
  })
})
