import { expect } from 'chai'
import {
  decidePendingStep,
  initialStepStatus,
  transitionStep,
  type DepState,
  type SettleDecision,
  type StepEvent,
} from '../../../src/flow/step-transitions.ts'
import { STEP_STATUSES, type StepStatus } from '../../../src/shared/statuses.ts'

const EVENTS: Record<string, StepEvent> = {
  'deps_settled(ready)': { type: 'deps_settled', decision: 'ready' },
  'deps_settled(skipped)': { type: 'deps_settled', decision: 'skipped' },
  when_failed: { type: 'when_failed', error: "template line 1: 'x' is undefined" },
  claimed: { type: 'claimed' },
  succeeded: { type: 'succeeded' },
  'failed(retry)': { type: 'failed', error: 'Exit code: 3', retry: true },
  'failed(final)': { type: 'failed', error: 'Exit code: 3', retry: false },
  cancel: { type: 'cancel' },
  cancelled: { type: 'cancelled' },
}

/** The legal rows of API.md §2.2, keyed `from + event`; every other pair must be refused. */
const LEGAL: Array<{ from: StepStatus; event: keyof typeof EVENTS; to: StepStatus; row: string }> =
  [
    { from: 'pending', event: 'deps_settled(ready)', to: 'ready', row: 'deps settled, when true' },
    { from: 'pending', event: 'deps_settled(skipped)', to: 'skipped', row: 'dep failed/skipped' },
    { from: 'pending', event: 'when_failed', to: 'failed', row: 'when not evaluable' },
    { from: 'ready', event: 'claimed', to: 'running', row: 'worker claims with a lease' },
    { from: 'running', event: 'succeeded', to: 'completed', row: 'worker reports success' },
    { from: 'running', event: 'failed(final)', to: 'failed', row: 'worker reports failure' },
    { from: 'running', event: 'failed(retry)', to: 'ready', row: 'retry policy allows another' },
    { from: 'pending', event: 'cancel', to: 'cancelled', row: 'job cancelled' },
    { from: 'ready', event: 'cancel', to: 'cancelled', row: 'job cancelled' },
    { from: 'running', event: 'cancel', to: 'running', row: 'cancel requested, awaiting worker' },
    { from: 'running', event: 'cancelled', to: 'cancelled', row: 'worker acknowledged cancel' },
  ]

describe('flow/step-transitions', () => {
  describe('transitionStep', () => {
    for (const row of LEGAL) {
      it(`${row.from} --${row.event}--> ${row.to} (${row.row})`, () => {
        expect(transitionStep(row.from, EVENTS[row.event]!)).to.deep.equal({ ok: true, to: row.to })
      })
    }

    for (const from of STEP_STATUSES) {
      for (const [label, event] of Object.entries(EVENTS)) {
        if (LEGAL.some((r) => r.from === from && r.event === label)) continue
        it(`refuses ${label} in status ${from}`, () => {
          const result = transitionStep(from, event)
          expect(result.ok).to.equal(false)
          if (!result.ok) expect(result.error).to.include(`'${event.type}'`).and.include(from)
        })
      }
    }
  })

  describe('initialStepStatus', () => {
    const cases: Array<{ deps: string[]; hasWhen: boolean; want: 'ready' | 'pending' }> = [
      { deps: [], hasWhen: false, want: 'ready' },
      { deps: [], hasWhen: true, want: 'pending' },
      { deps: ['a'], hasWhen: false, want: 'pending' },
      { deps: ['a'], hasWhen: true, want: 'pending' },
    ]
    for (const c of cases) {
      it(`starts ${c.want} with deps ${JSON.stringify(c.deps)} and hasWhen=${c.hasWhen}`, () => {
        expect(initialStepStatus({ dependsOn: c.deps, hasWhen: c.hasWhen })).to.equal(c.want)
      })
    }
  })

  describe('decidePendingStep', () => {
    type Row = {
      why: string
      deps: Record<string, StepStatus>
      cof?: boolean
      when?: boolean
      want: SettleDecision
    }
    const ready: SettleDecision = { kind: 'ready' }
    const evaluate: SettleDecision = { kind: 'evaluate_when' }
    const skip = (reason: string): SettleDecision => ({ kind: 'skip', reason })
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
