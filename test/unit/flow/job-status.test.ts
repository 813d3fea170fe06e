import { expect } from 'chai'
import {
  deriveJobStatus,
  failedStepsMessage,
  jobOutput,
  type StepSnapshot,
} from '../../../src/flow/job-status.ts'
import type { JobStatus, StepStatus } from '../../../src/shared/statuses.ts'
import { cof, crashWithHook, step, tolerateFailure } from './snapshots.ts'

describe('flow/job-status', () => {
  describe('deriveJobStatus (API.md §2.1)', () => {
    /** Steps as `name=status`, a trailing `~` marking continue_on_failure. */
    const parse = (spec: string): StepSnapshot[] =>
      spec.split(' ').map((item) => {
        const [name, status] = item.replace('~', '').split('=') as [string, StepStatus]
        return step(name, status, { continueOnFailure: item.endsWith('~') })
      })
    // [expected, steps, flags (claimed, cancel, timeout), row of the table or rule]
    const rows: Array<[JobStatus, string, string, string]> = [
      ['pending', 'a=ready b=pending', '', '(new): nothing claimed yet'],
      ['running', 'a=running b=pending', 'claimed', 'pending -> running: first step claimed'],
      ['running', 'a=ready b=completed', 'claimed', 'a retry waits in ready'],
      ['completed', 'a=completed b=completed', 'claimed', 'the last step completed'],
      ['failed', 'a=completed b=failed', 'claimed', 'an untolerated failure'],
      ['completed', 'a=failed~ b=completed', 'claimed', 'only tolerated failures'],
      ['completed', 'a=skipped b=skipped', '', 'a pending job whose steps were all skipped'],
      ['failed', 'a=failed', '', 'a pending job whose root when failed to render'],
      ['cancelled', 'a=completed b=cancelled', 'claimed cancel', 'completed before the cancel'],
      ['cancelled', 'a=cancelled b=cancelled', 'cancel', 'cancel of a pending job'],
      ['cancelled', 'a=failed b=cancelled', 'claimed cancel', 'cancel wins over a failure'],
      ['running', 'a=running b=cancelled', 'claimed cancel', 'cancel requested, a step running'],
      ['completed', 'a=completed', 'claimed cancel', 'a cancel too late to stop anything'],
      ['failed', 'a=completed b=failed', 'claimed timeout', 'the job timed out'],
      ['failed', 'a=failed~', 'claimed timeout', 'timed out, the stopped step tolerated'],
      ['running', 'a=running', 'claimed timeout', 'timed out, steps still stopping'],
    ]
    for (const [want, spec, flags, why] of rows) {
      it(`${want}: ${why} (${spec}${flags ? `; ${flags}` : ''})`, () => {
        const opts = {
          cancelRequested: flags.includes('cancel'),
          everClaimed: flags.includes('claimed'),
          timedOut: flags.includes('timeout'),
        }
        expect(deriveJobStatus(parse(spec), opts)).to.equal(want)
      })
    }

    it('completed: the tolerate-failure example', () => {
      const opts = { cancelRequested: false, everClaimed: true }
      expect(deriveJobStatus(tolerateFailure, opts)).to.equal('completed')
    })

    it('failed: the crash-with-hook example', () => {
      const opts = { cancelRequested: false, everClaimed: true }
      expect(deriveJobStatus(crashWithHook, opts)).to.equal('failed')
    })
  })

  describe('jobOutput', () => {
    it('maps leaves that produced output and leaves out the others', () => {
      expect(jobOutput(tolerateFailure)).to.deep.equal({ summarize: { degraded: true } })
    })

    it('ignores output of non-leaf steps', () => {
      const steps = [
        step('a', 'completed', { output: { x: 1 } }),
        step('b', 'completed', { dependsOn: ['a'], output: 0 }),
      ]
      expect(jobOutput(steps)).to.deep.equal({ b: 0 })
    })

    it('is null when no leaf produced output', () => {
      expect(jobOutput(crashWithHook)).to.equal(null)
      expect(jobOutput([step('a', 'completed', { output: undefined })])).to.equal(null)
    })
  })

  describe('failedStepsMessage', () => {
    it('names every failed step, tolerated ones included', () => {
      const steps = [step('a', 'failed', cof), step('b', 'completed'), step('c', 'failed')]
      expect(failedStepsMessage(steps)).to.equal("Step 'a': a broke; Step 'c': c broke")
    })

    it('is null when nothing failed', () => {
      expect(failedStepsMessage([step('a', 'completed'), step('b', 'skipped')])).to.equal(null)
    })

    it('fills in a missing error message', () => {
      const steps = [step('a', 'failed', { errorMessage: null })]
      expect(failedStepsMessage(steps)).to.equal("Step 'a': unknown error")
    })
  })
})
