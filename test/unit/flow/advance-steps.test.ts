import { expect } from 'chai'
import {
  decidePendingStep,
  type DepState,
  type PendingDecision,
} from '../../../src/flow/advance-steps.ts'
import type { StepStatus } from '../../../src/shared/statuses.ts'

describe('flow/advance-steps', () => {
  describe('decidePendingStep', () => {
    type Row = {
      why: string
      deps: Record<string, StepStatus>
      cof?: boolean
      when?: boolean
      want: PendingDecision
    }
    const ready: PendingDecision = { kind: 'ready' }
    const evaluate: PendingDecision = { kind: 'evaluate_when' }
    const skip = (reason: string): PendingDecision => ({ kind: 'skip', reason })
    const rows: Row[] = [
      { why: 'root without when', deps: {}, want: ready },
      { why: 'root with when', deps: {}, when: true, want: evaluate },
      {
        why: 'a dep still pending',
        deps: { a: 'completed', b: 'pending' },
        want: { kind: 'wait' },
      },
      { why: 'a dep ready', deps: { a: 'ready' }, want: { kind: 'wait' } },
      {
        why: 'a dep running (even with c_o_f)',
        deps: { a: 'running' },
        cof: true,
        want: { kind: 'wait' },
      },
      {
        why: 'a failed dep does not skip before the rest settle',
        deps: { a: 'failed', b: 'running' },
        want: { kind: 'wait' },
      },
      { why: 'all deps completed', deps: { a: 'completed', b: 'completed' }, want: ready },
      {
        why: 'all deps completed, with when',
        deps: { a: 'completed' },
        when: true,
        want: evaluate,
      },
      {
        why: 'join: one branch completed, others skipped',
        deps: { a: 'completed', b: 'skipped', c: 'skipped' },
        want: ready,
      },
      {
        why: 'join with when: one completed, one skipped',
        deps: { a: 'skipped', b: 'completed' },
        when: true,
        want: evaluate,
      },
      {
        why: 'all deps skipped',
        deps: { a: 'skipped', b: 'skipped' },
        want: skip('all dependencies were skipped'),
      },
      {
        why: 'all deps skipped, even with when',
        deps: { a: 'skipped' },
        when: true,
        want: skip('all dependencies were skipped'),
      },
      { why: 'a failed dep', deps: { parse: 'failed' }, want: skip("dependency 'parse' failed") },
      {
        why: 'a cancelled dep',
        deps: { a: 'completed', b: 'cancelled' },
        want: skip("dependency 'b' was cancelled"),
      },
      {
        why: 'failed beats skipped',
        deps: { a: 'skipped', b: 'failed' },
        want: skip("dependency 'b' failed"),
      },
      {
        why: 'every broken dep named in order',
        deps: { x: 'failed', y: 'cancelled' },
        want: skip("dependency 'x' failed; dependency 'y' was cancelled"),
      },
      {
        why: 'c_o_f after a failed dep',
        deps: { a: 'failed', b: 'completed' },
        cof: true,
        want: ready,
      },
      {
        why: 'c_o_f after a failed dep, with when',
        deps: { a: 'failed' },
        cof: true,
        when: true,
        want: evaluate,
      },
      { why: 'c_o_f after a cancelled dep', deps: { a: 'cancelled' }, cof: true, want: ready },
      {
        why: 'c_o_f with all deps skipped (§5.4 rule 2)',
        deps: { a: 'skipped' },
        cof: true,
        want: ready,
      },
    ]
    for (const r of rows) {
      it(`${JSON.stringify(r.want)} for ${r.why}`, () => {
        const deps: DepState[] = Object.entries(r.deps).map(([name, status]) => ({ name, status }))
        const step = {
          dependsOn: Object.keys(r.deps),
          continueOnFailure: r.cof ?? false,
          hasWhen: r.when ?? false,
        }
        expect(decidePendingStep(step, deps)).to.deep.equal(r.want)
      })
    }

    it('looks only at declared dependencies when given every step of the job', () => {
      const deps: DepState[] = [
        { name: 'a', status: 'completed' },
        { name: 'unrelated', status: 'failed' },
        { name: 'me', status: 'pending' },
      ]
      const step = { dependsOn: ['a'], continueOnFailure: false, hasWhen: false }
      expect(decidePendingStep(step, deps)).to.deep.equal({ kind: 'ready' })
    })

    it('waits when a declared dependency has no known state', () => {
      const step = { dependsOn: ['a', 'b'], continueOnFailure: true, hasWhen: false }
      expect(decidePendingStep(step, [{ name: 'a', status: 'completed' }])).to.deep.equal({
        kind: 'wait',
      })
    })

    it('tolerate-failure example: strict-follow-up skipped, summarize ready', () => {
      const deps: DepState[] = [
        { name: 'optional-probe', status: 'failed' },
        { name: 'required-probe', status: 'completed' },
      ]
      const strict = { dependsOn: ['optional-probe'], continueOnFailure: false, hasWhen: false }
      const summarize = {
        dependsOn: ['optional-probe', 'required-probe'],
        continueOnFailure: true,
        hasWhen: false,
      }
      expect(decidePendingStep(strict, deps)).to.deep.equal({
        kind: 'skip',
        reason: "dependency 'optional-probe' failed",
      })
      expect(decidePendingStep(summarize, deps)).to.deep.equal({ kind: 'ready' })
    })
  })
})
