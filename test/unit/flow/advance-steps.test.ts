import { expect } from 'chai'
import {
  advanceSteps,
  decidePendingStep,
  type AdvanceContext,
  type AdvanceStep,
  type DepState,
  type PendingDecision,
} from '../../../src/flow/advance-steps.ts'
import type { StepEventType } from '../../../src/flow/state-machine.ts'
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

  describe('advanceSteps', () => {
    function s(
      name: string,
      status: StepStatus,
      extra: Partial<Omit<AdvanceStep, 'name' | 'status'>> = {},
    ): AdvanceStep {
      return {
        id: `id-${name}`,
        name,
        attempt: 1,
        status,
        dependsOn: [],
        continueOnFailure: false,
        when: null,
        output: null,
        errorMessage: status === 'failed' ? `${name} broke` : null,
        ...extra,
      }
    }
    const NOW = new Date('2024-03-05T06:07:08Z')
    const noCtx: AdvanceContext = { input: {}, secret: {}, now: NOW }
    type Move = [name: string, event: StepEventType, to: StepStatus, reason: string | null]
    type Row = { why: string; steps: AdvanceStep[]; ctx?: AdvanceContext; want: Move[] }
    const rows: Row[] = [
      {
        why: 'makes the roots of a new job ready',
        steps: [s('a', 'pending'), s('b', 'pending'), s('c', 'pending', { dependsOn: ['a'] })],
        want: [
          ['a', 'deps_met', 'ready', null],
          ['b', 'deps_met', 'ready', null],
        ],
      },
      {
        why: 'readies the next link of a chain and leaves the one after it waiting',
        steps: [
          s('a', 'completed'),
          s('b', 'pending', { dependsOn: ['a'] }),
          s('c', 'pending', { dependsOn: ['b'] }),
        ],
        want: [['b', 'deps_met', 'ready', null]],
      },
      {
        why: 'moves nothing while the chain is still running',
        steps: [s('a', 'running'), s('b', 'pending', { dependsOn: ['a'] })],
        want: [],
      },
      {
        why: 'runs a fan-in join when one branch completed and the other was skipped',
        steps: [
          s('root', 'completed'),
          s('left', 'completed', { dependsOn: ['root'] }),
          s('right', 'skipped', { dependsOn: ['root'] }),
          s('join', 'pending', { dependsOn: ['left', 'right'] }),
        ],
        want: [['join', 'deps_met', 'ready', null]],
      },
      {
        why: 'skips a branch by its when and then runs the join in the same call',
        steps: [
          s('join', 'pending', { dependsOn: ['left', 'right'] }),
          s('left', 'pending', { when: '{{ input.left }}' }),
          s('right', 'completed'),
        ],
        ctx: { input: { left: false }, secret: {}, now: NOW },
        want: [
          ['left', 'skip', 'skipped', 'condition is false: {{ input.left }}'],
          ['join', 'deps_met', 'ready', null],
        ],
      },
      {
        why: 'skips a join whose branches were all skipped',
        steps: [
          s('left', 'skipped'),
          s('right', 'skipped'),
          s('join', 'pending', { dependsOn: ['left', 'right'] }),
        ],
        want: [['join', 'skip', 'skipped', 'all dependencies were skipped']],
      },
      {
        why: 'cascades skips through three levels in one call, whatever the list order',
        steps: [
          s('d', 'pending', { dependsOn: ['c'] }),
          s('c', 'pending', { dependsOn: ['b'] }),
          s('b', 'pending', { dependsOn: ['a'] }),
          s('a', 'failed'),
        ],
        want: [
          ['b', 'skip', 'skipped', "dependency 'a' failed"],
          ['c', 'skip', 'skipped', 'all dependencies were skipped'],
          ['d', 'skip', 'skipped', 'all dependencies were skipped'],
        ],
      },
      {
        why: 'skips the dependants of a cancelled step',
        steps: [s('a', 'cancelled'), s('b', 'pending', { dependsOn: ['a'] })],
        want: [['b', 'skip', 'skipped', "dependency 'a' was cancelled"]],
      },
      {
        why: 'runs a step whose when is true on an upstream output',
        steps: [
          s('a', 'completed', { output: { deploy: true } }),
          s('b', 'pending', { dependsOn: ['a'], when: '{{ a.output.deploy }}' }),
        ],
        want: [['b', 'deps_met', 'ready', null]],
      },
      {
        why: 'skips a step whose when is false, quoting the condition',
        steps: [
          s('a', 'completed', { output: { deploy: false } }),
          s('b', 'pending', { dependsOn: ['a'], when: '{{ a.output.deploy }}' }),
        ],
        want: [['b', 'skip', 'skipped', 'condition is false: {{ a.output.deploy }}']],
      },
      {
        why: 'fails a step whose when cannot render, naming the variable, and skips its dependants',
        steps: [
          s('a', 'completed'),
          s('b', 'pending', { dependsOn: ['a'], when: '{{ missing.value }}' }),
          s('c', 'pending', { dependsOn: ['b'] }),
        ],
        want: [
          [
            'b',
            'condition_failed',
            'failed',
            "when condition failed: template line 1, column 4: variable 'missing.value' is not defined",
          ],
          ['c', 'skip', 'skipped', "dependency 'b' failed"],
        ],
      },
      {
        why: 'lets when read the job input',
        steps: [s('a', 'pending', { when: '{{ input.env == "prod" }}' })],
        ctx: { input: { env: 'prod' }, secret: {}, now: NOW },
        want: [['a', 'deps_met', 'ready', null]],
      },
      {
        why: 'skips when the job input makes the condition false',
        steps: [s('a', 'pending', { when: '{{ input.env == "prod" }}' })],
        ctx: { input: { env: 'dev' }, secret: {}, now: NOW },
        want: [['a', 'skip', 'skipped', 'condition is false: {{ input.env == "prod" }}']],
      },
      {
        why: 'gives now() in a when the time of the advance',
        steps: [s('a', 'pending', { when: '{{ now(timestamp=true) == 1709618828 }}' })],
        want: [['a', 'deps_met', 'ready', null]],
      },
      {
        why: 'lets when read the secrets',
        steps: [s('a', 'pending', { when: '{{ secret.REGION == "eu" }}' })],
        ctx: { input: {}, secret: { REGION: 'us' }, now: NOW },
        want: [['a', 'skip', 'skipped', 'condition is false: {{ secret.REGION == "eu" }}']],
      },
      {
        why: 'shows a skipped upstream step to when with a null output',
        steps: [
          s('a', 'completed'),
          s('b', 'skipped'),
          s('c', 'pending', { dependsOn: ['a', 'b'], when: '{{ b.output is none }}' }),
        ],
        want: [['c', 'deps_met', 'ready', null]],
      },
      {
        why: 'shows a failed upstream step to when with its error',
        steps: [
          s('a', 'failed', { errorMessage: 'Exit code: 2' }),
          s('b', 'pending', {
            dependsOn: ['a'],
            continueOnFailure: true,
            when: '{{ a.output is none and a.error == "Exit code: 2" }}',
          }),
        ],
        want: [['b', 'deps_met', 'ready', null]],
      },
      {
        why: 'runs a continue_on_failure step after a failure and skips its strict sibling',
        steps: [
          s('probe', 'failed'),
          s('report', 'pending', { dependsOn: ['probe'], continueOnFailure: true }),
          s('strict', 'pending', { dependsOn: ['probe'] }),
        ],
        want: [
          ['report', 'deps_met', 'ready', null],
          ['strict', 'skip', 'skipped', "dependency 'probe' failed"],
        ],
      },
      {
        why: 'runs a continue_on_failure step whose dependencies were all skipped',
        steps: [
          s('a', 'skipped'),
          s('b', 'pending', { dependsOn: ['a'], continueOnFailure: true }),
        ],
        want: [['b', 'deps_met', 'ready', null]],
      },
      {
        why: 'names a step with `-` as `_` in when',
        steps: [
          s('build-image', 'completed', { output: { tag: 'v1' } }),
          s('push', 'pending', {
            dependsOn: ['build-image'],
            when: '{{ build_image.output.tag == "v1" }}',
          }),
        ],
        want: [['push', 'deps_met', 'ready', null]],
      },
      {
        why: 'fails a when that names a step with `-` as written',
        steps: [
          s('build-image', 'completed', { output: { tag: 'v1' } }),
          s('push', 'pending', { dependsOn: ['build-image'], when: '{{ build-image.output }}' }),
        ],
        want: [
          [
            'push',
            'condition_failed',
            'failed',
            "when condition failed: template line 1, column 4: variable 'build' is not defined",
          ],
        ],
      },
    ]
    for (const r of rows) {
      it(r.why, () => {
        const moves = advanceSteps(r.steps, r.ctx ?? noCtx)
        expect(moves.map((m): Move => [m.name, m.event, m.to, m.reason])).to.deep.equal(r.want)
      })
    }

    it('returns whole moves, with the step id, attempt and the effects of the table row', () => {
      const moves = advanceSteps(
        [
          s('a', 'failed'),
          s('b', 'pending', { attempt: 2, dependsOn: ['a'] }),
          s('c', 'pending', { dependsOn: ['a'], continueOnFailure: true }),
        ],
        noCtx,
      )
      expect(moves).to.deep.equal([
        {
          stepId: 'id-b',
          name: 'b',
          attempt: 2,
          from: 'pending',
          event: 'skip',
          to: 'skipped',
          effects: ['close', 'announce_finished', 'log_finished'],
          reason: "dependency 'a' failed",
        },
        {
          stepId: 'id-c',
          name: 'c',
          attempt: 1,
          from: 'pending',
          event: 'deps_met',
          to: 'ready',
          effects: ['claimable', 'wake'],
          reason: null,
        },
      ])
    })

    it('shows a later when the error of a step whose when failed in the same call', () => {
      const moves = advanceSteps(
        [
          s('a', 'completed'),
          s('b', 'pending', { dependsOn: ['a'], when: '{{ missing }}' }),
          s('c', 'pending', { dependsOn: ['b'], continueOnFailure: true, when: '{{ b.error }}' }),
        ],
        noCtx,
      )
      expect(moves.map((m) => [m.name, m.event])).to.deep.equal([
        ['b', 'condition_failed'],
        ['c', 'deps_met'],
      ])
    })

    it('leaves the steps it was given unchanged', () => {
      const steps = [s('a', 'failed'), s('b', 'pending', { dependsOn: ['a'] })]
      const copy = structuredClone(steps)
      advanceSteps(steps, noCtx)
      expect(steps).to.deep.equal(copy)
    })

    it('moves no step that is not pending', () => {
      const steps = [s('a', 'ready'), s('b', 'running'), s('c', 'completed'), s('d', 'skipped')]
      expect(advanceSteps(steps, noCtx)).to.deep.equal([])
    })
  })
})
