import { expect } from 'chai'
import type { StepRun } from '../../../src/flow/job.ts'
import {
  instanceName,
  loopInstances,
  loopItems,
  loopOutcome,
  MAX_LOOP_ITEMS,
  type LoopItems,
  type LoopOutcome,
} from '../../../src/flow/loops.ts'
import type { PlannedStep } from '../../../src/flow/plan-job.ts'
import type { StepStatus } from '../../../src/shared/statuses.ts'
import { actionSpec, NOW, retryPolicy, sequence, stepRun, stepSpec } from './builders.ts'

const clock = { now: () => NOW }

/** What `for_each` sees: the job input, secrets and the settled steps (conditionContext). */
const ctx = {
  input: { regions: ['eu', 'us'], count: 3, flag: true },
  secret: { TOKEN: 'hunter22' },
  fetch: { output: { names: ['a', 'b'], ids: [4, 5], hosts: [{ host: 'h1' }], none: [] } },
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i)

describe('flow/loops', () => {
  describe('loopItems', () => {
    type Row = { why: string; forEach: ReadonlyArray<unknown> | string; want: LoopItems }
    const ok = (items: unknown[]): LoopItems => ({ ok: true, items })
    const bad = (error: string): LoopItems => ({ ok: false, error })
    const rows: Row[] = [
      {
        why: 'a literal list as written',
        forEach: ['eu', { r: 'us' }, 3],
        want: ok(['eu', { r: 'us' }, 3]),
      },
      { why: 'an empty literal list', forEach: [], want: ok([]) },
      {
        why: 'a literal list whose strings look like templates, unrendered',
        forEach: ['{{ input.count }}'],
        want: ok(['{{ input.count }}']),
      },
      {
        why: 'a template through json_encode()',
        forEach: '{{ fetch.output.names | json_encode() }}',
        want: ok(['a', 'b']),
      },
      {
        why: 'a list of maps through json_encode()',
        forEach: '{{ fetch.output.hosts | json_encode() }}',
        want: ok([{ host: 'h1' }]),
      },
      {
        why: 'the job input through json_encode()',
        forEach: '{{ input.regions | json_encode() }}',
        want: ok(['eu', 'us']),
      },
      {
        why: 'a single path to a list of numbers (its text is JSON)',
        forEach: '{{ fetch.output.ids }}',
        want: ok([4, 5]),
      },
      {
        why: 'JSON text with values rendered into it',
        forEach: '[{"n": {{ input.count }}, "flag": {{ input.flag }}}]',
        want: ok([{ n: 3, flag: true }]),
      },
      { why: 'JSON text with no template', forEach: '["x", "y"]', want: ok(['x', 'y']) },
      {
        why: 'a list built with a for block',
        forEach:
          '[{% for i in fetch.output.ids %}{{ i * 10 }}{% if not loop.last %},{% endif %}{% endfor %}]',
        want: ok([40, 50]),
      },
      {
        why: 'an empty list rendered',
        forEach: '{{ fetch.output.none | json_encode() }}',
        want: ok([]),
      },
      {
        why: 'a number',
        forEach: '{{ input.count }}',
        want: bad('for_each must be a list, got a number'),
      },
      {
        why: 'a boolean',
        forEach: '{{ input.flag }}',
        want: bad('for_each must be a list, got a boolean'),
      },
      {
        why: 'a JSON object',
        forEach: '{"a": 1}',
        want: bad('for_each must be a list, got an object'),
      },
      { why: 'JSON null', forEach: 'null', want: bad('for_each must be a list, got null') },
      { why: 'a JSON string', forEach: '"eu"', want: bad('for_each must be a list, got a string') },
      {
        why: 'text that is not JSON',
        forEach: '[1, 2',
        want: bad("for_each must render to a JSON array, got '[1, 2' (hint: | json_encode())"),
      },
      {
        why: 'a single path to a map, naming what it got',
        forEach: '{{ fetch.output }}',
        want: bad('for_each must be a list, got an object'),
      },
      {
        why: 'long text that is not JSON, cut at 80 characters',
        forEach: `${'x'.repeat(85)}`,
        want: bad(
          `for_each must render to a JSON array, got '${'x'.repeat(80)}…' (hint: | json_encode())`,
        ),
      },
      {
        why: 'text of exactly 80 characters, shown whole',
        forEach: `${'y'.repeat(80)}`,
        want: bad(
          `for_each must render to a JSON array, got '${'y'.repeat(80)}' (hint: | json_encode())`,
        ),
      },
      {
        why: 'an undefined variable',
        forEach: '{{ nope.items | json_encode() }}',
        want: bad(
          "for_each failed to render: template line 1, column 4: variable 'nope.items' is not defined",
        ),
      },
      {
        why: 'a template that does not parse',
        forEach: '{{ input.regions',
        want: bad("for_each failed to render: template line 1, column 17: expected '}}'"),
      },
    ]
    for (const r of rows) {
      it(`${r.want.ok ? 'accepts' : 'refuses'} ${r.why}`, () => {
        expect(loopItems(r.forEach, ctx, clock)).to.deep.equal(r.want)
      })
    }

    it(`accepts ${MAX_LOOP_ITEMS} items and refuses one more, literal or rendered`, () => {
      expect(MAX_LOOP_ITEMS).to.equal(10_000)
      const most = range(10_000)
      const tooMany = range(10_001)
      const error = 'for_each has 10001 items; the limit is 10000'
      expect(loopItems(most, {}, clock)).to.deep.equal({ ok: true, items: most })
      expect(loopItems(tooMany, {}, clock)).to.deep.equal({ ok: false, error })
      const rendered = '{{ input.items | json_encode() }}'
      expect(loopItems(rendered, { input: { items: most } }, clock)).to.deep.equal({
        ok: true,
        items: most,
      })
      expect(loopItems(rendered, { input: { items: tooMany } }, clock)).to.deep.equal({
        ok: false,
        error,
      })
    })

    it('renders now() with the clock it is given', () => {
      expect(loopItems('["{{ now() }}"]', {}, clock)).to.deep.equal({
        ok: true,
        items: ['2025-03-01T12:00:00.000+00:00'],
      })
    })

    it('takes a single path that resolves to a list of strings as is', () => {
      expect(loopItems('{{ fetch.output.names }}', ctx, clock)).to.deep.equal({
        ok: true,
        items: ['a', 'b'],
      })
      expect(loopItems('{{ fetch.output.hosts }}', ctx, clock)).to.deep.equal({
        ok: true,
        items: [{ host: 'h1' }],
      })
    })
  })

  describe('loopInstances', () => {
    const loop = (sequential: boolean): StepRun =>
      stepRun('fan-out', 'ready', {
        position: 2,
        actionName: 'deploy',
        runner: 'docker',
        dependsOn: ['build'],
        input: { stored: true },
        spec: {
          action: { ...actionSpec('deploy'), tags: ['prod'] },
          input: { region: '{{ each.item }}', n: '{{ each.index }}' },
          forEach: '{{ input.regions | json_encode() }}',
          sequential,
          when: '{{ input.go }}',
          continueOnFailure: true,
          timeoutSecs: 90,
          retry: retryPolicy({ maxAttempts: 2 }),
        },
      })
    const instanceSpec = (item: unknown, index: number) =>
      stepSpec({
        action: { ...actionSpec('deploy'), tags: ['prod'] },
        input: { region: '{{ each.item }}', n: '{{ each.index }}' },
        forEach: null,
        sequential: false,
        when: null,
        continueOnFailure: true,
        timeoutSecs: 90,
        retry: retryPolicy({ maxAttempts: 2 }),
        each: { item, index, total: 3 },
      })
    const instance = (
      i: number,
      item: unknown,
      over: Pick<PlannedStep, 'status' | 'dependsOn' | 'readyAt'>,
    ): PlannedStep => ({
      id: `i${i + 1}`,
      name: `fan-out[${i}]`,
      position: 2,
      actionName: 'deploy',
      actionType: 'script',
      runner: 'docker',
      spec: instanceSpec(item, i),
      input: { region: '{{ each.item }}', n: '{{ each.index }}' },
      tags: ['prod'],
      errorMessage: null,
      completedAt: null,
      loop: { source: 'fan-out', index: i, total: 3 },
      ...over,
    })
    const items = ['eu', { region: 'us' }, null]

    it('names instance i of a loop `name[i]`', () => {
      expect([instanceName('fan-out', 0), instanceName('x', 12)]).to.deep.equal([
        'fan-out[0]',
        'x[12]',
      ])
    })

    it('makes every instance of a parallel loop ready now, with no dependencies', () => {
      const newStepId = sequence((n) => `i${n}`)
      const got = loopInstances(loop(false), items, { newStepId, now: NOW })
      const ready = { status: 'ready', dependsOn: [], readyAt: NOW } as const
      expect(got).to.deep.equal([
        instance(0, 'eu', ready),
        instance(1, { region: 'us' }, ready),
        instance(2, null, ready),
      ])
      expect(newStepId.issued).to.deep.equal(['i1', 'i2', 'i3'])
    })

    it('makes only the first instance of a sequential loop ready, each next waiting on the one before', () => {
      const got = loopInstances(loop(true), items, {
        newStepId: sequence((n) => `i${n}`),
        now: NOW,
      })
      expect(got).to.deep.equal([
        instance(0, 'eu', { status: 'ready', dependsOn: [], readyAt: NOW }),
        instance(
          1,
          { region: 'us' },
          { status: 'pending', dependsOn: ['fan-out[0]'], readyAt: null },
        ),
        instance(2, null, { status: 'pending', dependsOn: ['fan-out[1]'], readyAt: null }),
      ])
    })

    it('makes no instance of an empty list', () => {
      const newStepId = sequence((n) => `i${n}`)
      expect(loopInstances(loop(false), [], { newStepId, now: NOW })).to.deep.equal([])
      expect(newStepId.issued).to.deep.equal([])
    })
  })

  describe('loopOutcome', () => {
    const loop = (continueOnFailure = false) =>
      stepRun('fan', 'running', { spec: { forEach: [1, 2, 3], continueOnFailure } })
    /** Instance i of `fan`, in status `status`, with output `out<i>` when completed. */
    const inst = (i: number, status: StepStatus, total = 3): StepRun =>
      stepRun(`fan[${i}]`, status, {
        loopSource: 'fan',
        loopIndex: i,
        loopTotal: total,
        output: status === 'completed' ? { out: i } : null,
        errorMessage: status === 'failed' ? `boom ${i}` : null,
      })
    type Row = {
      why: string
      instances: StepRun[]
      cof?: boolean
      cancelRequested?: boolean
      want: LoopOutcome | null
    }
    const complete = (output: unknown[]): LoopOutcome => ({
      event: 'complete',
      output,
      reason: null,
    })
    const rows: Row[] = [
      {
        why: 'waits while an instance is running',
        instances: [inst(0, 'completed'), inst(1, 'running'), inst(2, 'completed')],
        want: null,
      },
      {
        why: 'waits while an instance is pending, even after a failure',
        instances: [inst(0, 'failed'), inst(1, 'pending'), inst(2, 'pending')],
        want: null,
      },
      {
        why: 'waits while an instance is ready',
        instances: [inst(0, 'ready'), inst(1, 'completed'), inst(2, 'completed')],
        want: null,
      },
      {
        why: 'waits while an instance is suspended',
        instances: [inst(0, 'suspended'), inst(1, 'completed'), inst(2, 'completed')],
        want: null,
      },
      {
        why: 'waits on a cancelled job while an instance still runs',
        instances: [inst(0, 'cancelled'), inst(1, 'running'), inst(2, 'cancelled')],
        cancelRequested: true,
        want: null,
      },
      {
        why: 'completes with the outputs in index order, whatever the order given',
        instances: [inst(2, 'completed'), inst(0, 'completed'), inst(1, 'completed')],
        want: complete([{ out: 0 }, { out: 1 }, { out: 2 }]),
      },
      {
        why: 'orders indexes as numbers',
        instances: [inst(10, 'completed', 11), inst(2, 'completed', 11), inst(9, 'completed', 11)],
        want: complete([{ out: 2 }, { out: 9 }, { out: 10 }]),
      },
      {
        why: 'gives null for a completed instance without output',
        instances: [stepRun('fan[0]', 'completed', { loopSource: 'fan', loopIndex: 0 })],
        want: complete([null]),
      },
      {
        why: 'gives null for skipped and cancelled instances of a job still open',
        instances: [inst(0, 'skipped'), inst(1, 'completed'), inst(2, 'cancelled')],
        want: complete([null, { out: 1 }, null]),
      },
      {
        why: 'fails naming the one failed instance',
        instances: [inst(0, 'completed'), inst(1, 'failed'), inst(2, 'completed')],
        want: {
          event: 'fail',
          output: null,
          reason: 'for_each loop failed: instance [1] failed',
        },
      },
      {
        why: 'fails naming every failed instance in index order',
        instances: [inst(10, 'failed', 11), inst(0, 'completed', 11), inst(2, 'failed', 11)],
        want: {
          event: 'fail',
          output: null,
          reason: 'for_each loop failed: instances [2, 10] failed',
        },
      },
      {
        why: 'fails a sequential loop whose later instances were skipped after a failure',
        instances: [inst(0, 'failed'), inst(1, 'skipped'), inst(2, 'skipped')],
        want: {
          event: 'fail',
          output: null,
          reason: 'for_each loop failed: instance [0] failed',
        },
      },
      {
        why: 'completes despite failures with continue_on_failure, null for the failed',
        instances: [inst(0, 'failed'), inst(1, 'completed'), inst(2, 'failed')],
        cof: true,
        want: complete([null, { out: 1 }, null]),
      },
      {
        why: 'stops when the job was cancelled and an instance with it',
        instances: [inst(0, 'completed'), inst(1, 'cancelled'), inst(2, 'cancelled')],
        cancelRequested: true,
        want: { event: 'stopped', output: null, reason: null },
      },
      {
        why: 'stops rather than fails when the job was cancelled',
        instances: [inst(0, 'failed'), inst(1, 'cancelled'), inst(2, 'completed')],
        cancelRequested: true,
        want: { event: 'stopped', output: null, reason: null },
      },
      {
        why: 'completes a cancelled job whose instances all completed before the cancel',
        instances: [inst(0, 'completed'), inst(1, 'completed'), inst(2, 'completed')],
        cancelRequested: true,
        want: complete([{ out: 0 }, { out: 1 }, { out: 2 }]),
      },
      {
        why: 'fails a cancelled job whose instances ended before the cancel, one failed',
        instances: [inst(0, 'completed'), inst(1, 'failed'), inst(2, 'completed')],
        cancelRequested: true,
        want: {
          event: 'fail',
          output: null,
          reason: 'for_each loop failed: instance [1] failed',
        },
      },
    ]
    for (const r of rows) {
      it(r.why, () => {
        expect(loopOutcome(loop(r.cof), r.instances, r.cancelRequested ?? false)).to.deep.equal(
          r.want,
        )
      })
    }
  })
})
