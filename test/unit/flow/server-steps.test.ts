import { expect } from 'chai'
import type { Job, StepRun } from '../../../src/flow/job.ts'
import { moveStep } from '../../../src/flow/move-effects.ts'
import {
  endLoops,
  startServerSteps,
  type ServerStepContext,
  type ServerWork,
} from '../../../src/flow/server-steps.ts'
import type { StepStatus } from '../../../src/shared/statuses.ts'
import type { TaskHooks, Workspace } from '../../../src/workspace/workspace.ts'
import {
  actionDef,
  actionSpec,
  EARLIER,
  inputField,
  JOB_ID,
  jobOf,
  NOW,
  ran,
  sequence,
  stepDef,
  stepRun,
  taskDef,
  uuid,
  workspaceOf,
  type StepRunOver,
} from './builders.ts'
import { hook, noHooks } from './snapshots.ts'

const LATER = new Date(NOW.getTime() + 1000)

const suspendedHooks: TaskHooks = {
  ...noHooks,
  onSuspended: [
    {
      ...hook('notify'),
      input: { text: '{{ hook.step_name }} of {{ hook.job_id }}: {{ hook.message }}' },
    },
  ],
}

function workspace(hooks: TaskHooks = suspendedHooks): Workspace {
  return workspaceOf({
    actions: [
      actionDef('echo'),
      actionDef('notify'),
      actionDef('provision', { type: 'task', task: 'provision' }),
      actionDef('ask', { type: 'approval', message: 'Go?' }),
    ],
    tasks: [
      taskDef('deploy', [stepDef('build')], { hooks }),
      taskDef('provision', [stepDef('create')], {
        declaresInput: true,
        input: [
          ['env', inputField({ required: true })],
          ['token', inputField()],
          ['replicas', inputField({ type: 'integer', default: 2 })],
        ],
      }),
    ],
    secrets: { TOKEN: 'hunter22' },
  })
}

function context(over: Partial<ServerStepContext> = {}) {
  const newJobId = sequence((n) => uuid(300 + n))
  const newStepId = sequence((n) => `new-step-${n}`)
  const ctx: ServerStepContext = {
    job: jobOf({ input: { env: 'job-env' } }),
    workspace: workspace(),
    now: NOW,
    newJobId,
    newStepId,
    defaults: { stepTimeoutSecs: 300, jobTimeoutSecs: null },
    scrub: (text) => text.replaceAll('hunter22', '******'),
    scrubJson: (value) => JSON.parse(JSON.stringify(value).replaceAll('hunter22', '******')),
    ...over,
  }
  return { ctx, jobIds: newJobId.issued, stepIds: newStepId.issued }
}

const build = (output: unknown = { regions: ['eu', 'us'], env: 'prod', version: 'v2' }) =>
  stepRun('build', 'completed', { ...ran, output })

const loopStep = (forEach: unknown[] | string, over: StepRunOver = {}) =>
  stepRun('fan', 'ready', {
    position: 1,
    dependsOn: ['build'],
    readyAt: NOW,
    ...over,
    spec: { forEach, input: { region: '{{ each.item }}' }, ...over.spec },
  })

const taskStep = (input: Record<string, unknown>, over: StepRunOver = {}) =>
  stepRun('setup', 'ready', {
    position: 1,
    actionName: 'provision',
    actionType: 'task',
    dependsOn: ['build'],
    readyAt: NOW,
    ...over,
    spec: {
      action: { ...actionSpec('provision'), type: 'task', task: 'provision' },
      input,
      ...over.spec,
    },
  })

const approvalStep = (message: string, over: StepRunOver = {}) =>
  stepRun('gate', 'ready', {
    position: 1,
    actionName: 'ask',
    actionType: 'approval',
    dependsOn: ['build'],
    readyAt: NOW,
    ...over,
    spec: {
      action: { ...actionSpec('ask'), type: 'approval', message },
      input: { version: '{{ build.output.version }}' },
      timeoutSecs: 600,
      ...over.spec,
    },
  })

/** The work of a start that moved one step with `event` and `reason`, and nothing else. */
function only(step: StepRun, event: 'skip' | 'dispatch_failed', reason: string): ServerWork {
  const to = event === 'skip' ? 'skipped' : 'failed'
  return {
    moves: [moveStep(step, event, reason)],
    changes: [
      {
        stepId: step.id,
        from: 'ready',
        status: to,
        errorMessage: to === 'failed' ? reason : null,
        readyAt: null,
      },
    ],
    newSteps: [],
    newJobs: [],
    details: new Map(),
    lines: [],
  }
}

describe('flow/server-steps', () => {
  describe('startServerSteps: loops', () => {
    const fan0 = { source: 'fan', index: 0, total: 2 }
    const fan1 = { source: 'fan', index: 1, total: 2 }

    it('expands a ready loop into its instances and runs the loop step', () => {
      const { ctx, stepIds, jobIds } = context()
      const fan = loopStep('{{ build.output.regions | json_encode() }}')
      const work = startServerSteps([build(), fan], ctx)
      expect(work.moves).to.deep.equal([moveStep(fan, 'expand')])
      expect(work.changes).to.deep.equal([
        {
          stepId: 'step-fan',
          from: 'ready',
          status: 'running',
          errorMessage: null,
          readyAt: null,
          startedAt: NOW,
        },
      ])
      expect(work.newSteps.map((s) => [s.id, s.name, s.status, s.spec.each, s.loop])).to.deep.equal(
        [
          ['new-step-1', 'fan[0]', 'ready', { item: 'eu', index: 0, total: 2 }, fan0],
          ['new-step-2', 'fan[1]', 'ready', { item: 'us', index: 1, total: 2 }, fan1],
        ],
      )
      expect(work.details).to.deep.equal(new Map([['step-fan', { instances: 2 }]]))
      expect([work.newJobs, work.lines, jobIds, stepIds]).to.deep.equal([
        [],
        [],
        [],
        ['new-step-1', 'new-step-2'],
      ])
    })

    it('expands a sequential loop with only its first instance ready', () => {
      const { ctx } = context()
      const fan = loopStep(['a', 'b', 'c'], { spec: { sequential: true } })
      const work = startServerSteps([build(), fan], ctx)
      expect(work.newSteps.map((s) => [s.name, s.status, s.dependsOn])).to.deep.equal([
        ['fan[0]', 'ready', []],
        ['fan[1]', 'pending', ['fan[0]']],
        ['fan[2]', 'pending', ['fan[1]']],
      ])
      expect(work.details.get('step-fan')).to.deep.equal({ instances: 3 })
    })

    it('renders for_each with the job input, secrets and the settled steps', () => {
      const { ctx } = context()
      const steps = [
        build(),
        stepRun('lint', 'failed', { errorMessage: 'lint broke' }),
        stepRun('probe', 'skipped'),
        loopStep(
          '["{{ input.env }}", "{{ secret.TOKEN }}", "{{ lint.error }}", {{ probe.output | json_encode() }}]',
        ),
      ]
      const work = startServerSteps(steps, ctx)
      expect(work.newSteps.map((s) => s.spec.each?.item)).to.deep.equal([
        'job-env',
        'hunter22',
        'lint broke',
        null,
      ])
    })

    it('skips a loop whose list is empty', () => {
      const { ctx, stepIds } = context()
      const fan = loopStep([])
      expect(startServerSteps([build(), fan], ctx)).to.deep.equal(
        only(fan, 'skip', 'for_each list is empty'),
      )
      expect(stepIds).to.deep.equal([])
    })

    const badLoops: Array<[string, string, string]> = [
      [
        'a value that is not a list',
        '{{ build.output.env | json_encode() }}',
        'for_each must be a list, got a string',
      ],
      [
        'an undefined variable',
        '{{ deploy.output | json_encode() }}',
        "for_each failed to render: template line 1, column 4: variable 'deploy.output' is not defined",
      ],
      [
        'an error quoting a secret, masked',
        '{{ throw(message="bad token " ~ secret.TOKEN) }}',
        'for_each failed to render: template line 1, column 4: bad token ******',
      ],
    ]
    for (const [why, forEach, reason] of badLoops) {
      it(`fails a loop with ${why}`, () => {
        const { ctx, stepIds } = context()
        const fan = loopStep(forEach)
        expect(startServerSteps([build(), fan], ctx)).to.deep.equal(
          only(fan, 'dispatch_failed', reason),
        )
        expect(stepIds).to.deep.equal([])
      })
    }
  })

  describe('startServerSteps: task steps', () => {
    it('starts the child job with the rendered input and records its id', () => {
      const { ctx, jobIds } = context()
      const setup = taskStep({ env: '{{ build.output.env }}', token: '{{ secret.TOKEN }}' })
      const work = startServerSteps([build(), setup], ctx)
      expect(work.moves).to.deep.equal([moveStep(setup, 'start_child')])
      expect(work.changes).to.deep.equal([
        {
          stepId: 'step-setup',
          from: 'ready',
          status: 'running',
          errorMessage: null,
          readyAt: null,
          startedAt: NOW,
          childJobId: uuid(301),
          input: { env: 'prod', token: '******' },
        },
      ])
      expect(jobIds).to.deep.equal([uuid(301)])
      expect(work.newJobs).to.have.length(1)
      expect(work.newJobs[0]).to.deep.include({
        id: uuid(301),
        taskName: 'provision',
        source: { type: 'task', id: `${JOB_ID}/setup` },
        input: { env: 'prod', token: 'hunter22', replicas: 2 },
        parent: { jobId: JOB_ID, stepName: 'setup', depth: 1 },
      })
      expect(work.newJobs[0]!.steps.map((s) => [s.id, s.name, s.status])).to.deep.equal([
        ['new-step-1', 'create', 'ready'],
      ])
      expect(work.details).to.deep.equal(
        new Map([['step-setup', { child: { id: uuid(301), task: 'provision' } }]]),
      )
      expect([work.newSteps, work.lines]).to.deep.equal([[], []])
    })

    it('renders a loop instance input with each.*', () => {
      const { ctx } = context()
      const instance = taskStep(
        { env: '{{ each.item }}-{{ each.index }}-of-{{ each.total }}' },
        {
          name: 'setup[1]',
          id: 'step-setup-1',
          dependsOn: [],
          loopSource: 'setup',
          loopIndex: 1,
          loopTotal: 2,
          spec: { each: { item: 'dev', index: 1, total: 2 } },
        },
      )
      const work = startServerSteps([build(), instance], ctx)
      expect(work.newJobs.map((j) => [j.source.id, j.input.env])).to.deep.equal([
        [`${JOB_ID}/setup[1]`, 'dev-1-of-2'],
      ])
      expect(work.changes[0]).to.deep.include({ input: { env: 'dev-1-of-2' } })
    })

    type Bad = {
      why: string
      input: Record<string, unknown>
      over?: Partial<ServerStepContext>
      reason: string
    }
    const bad: Bad[] = [
      {
        why: 'an input that does not render, secrets masked',
        input: { env: '{{ nope.env }}', token: '{{ throw(message=secret.TOKEN) }}' },
        reason:
          "step input failed to render: input.env: template line 1, column 4: variable 'nope.env' is not defined; input.token: template line 1, column 4: ******",
      },
      {
        why: "an input the child task's schema refuses",
        input: { region: 'eu' },
        reason:
          "child task 'provision': invalid input: input.region: unknown field; input.env: required field is missing",
      },
      {
        why: 'a nesting too deep',
        input: { env: 'prod' },
        over: { job: jobOf({ depth: 10 }) },
        reason: "sub-task nesting is limited to 10 levels; task 'provision' would be level 11",
      },
      {
        why: 'a workspace no longer loaded',
        input: { env: 'prod' },
        over: { workspace: undefined },
        reason: 'the workspace is no longer loaded',
      },
    ]
    for (const r of bad) {
      it(`fails a task step with ${r.why}`, () => {
        const { ctx, jobIds } = context(r.over)
        const setup = taskStep(r.input)
        expect(startServerSteps([build(), setup], ctx)).to.deep.equal(
          only(setup, 'dispatch_failed', r.reason),
        )
        expect(jobIds).to.deep.equal([])
      })
    }

    it('fails a task step whose task is gone from the workspace', () => {
      const { ctx } = context()
      const setup = taskStep(
        { env: 'prod' },
        { spec: { action: { ...actionSpec('provision'), type: 'task', task: 'gone' } } },
      )
      expect(startServerSteps([setup], ctx)).to.deep.equal(
        only(setup, 'dispatch_failed', "task 'gone' not found in workspace 'default'"),
      )
    })
  })

  describe('startServerSteps: approvals', () => {
    const deadline = new Date(NOW.getTime() + 600_000)

    it('suspends with the rendered message until now + the timeout, and plans on_suspended hooks', () => {
      const { ctx, jobIds } = context()
      const gate = approvalStep(
        'Ship {{ input.version }} to {{ build.output.env }}? ({{ secret.TOKEN }})',
      )
      const message = 'Ship v2 to prod? (******)'
      const work = startServerSteps([build(), gate], ctx)
      expect(work.moves).to.deep.equal([
        moveStep(gate, 'suspend', null, { approval_message: message }),
      ])
      expect(work.changes).to.deep.equal([
        {
          stepId: 'step-gate',
          from: 'ready',
          status: 'suspended',
          errorMessage: null,
          readyAt: null,
          startedAt: NOW,
          suspendedAt: NOW,
          deadlineAt: deadline,
          output: { approval_message: message },
          input: { version: 'v2' },
        },
      ])
      expect(jobIds).to.deep.equal([uuid(301)])
      expect(work.newJobs.map((j) => [j.id, j.taskName, j.source, j.input])).to.deep.equal([
        [
          uuid(301),
          '_hook:notify',
          { type: 'hook', id: JOB_ID },
          { text: `gate of ${JOB_ID}: ${message}` },
        ],
      ])
      expect(work.lines).to.deep.equal([
        { line: `hook job ${uuid(301)} created (_hook:notify)`, stream: 'stdout' },
      ])
      expect([work.newSteps, work.details]).to.deep.equal([[], new Map()])
    })

    it("renders the message with the step's rendered input as `input`, not the job's", () => {
      const { ctx } = context()
      const gate = approvalStep('{{ input.env }}')
      expect(startServerSteps([build(), gate], ctx)).to.deep.equal(
        only(
          gate,
          'dispatch_failed',
          "approval message failed to render: template line 1, column 4: variable 'input.env' is not defined",
        ),
      )
    })

    it('fails an approval whose input does not render', () => {
      const { ctx } = context()
      const gate = approvalStep('Go?', { spec: { input: { v: '{{ build.output.nope }}' } } })
      expect(startServerSteps([build(), gate], ctx)).to.deep.equal(
        only(
          gate,
          'dispatch_failed',
          "step input failed to render: input.v: template line 1, column 4: variable 'build.output.nope' is not defined",
        ),
      )
    })

    it('suspends with an empty message when the action has none', () => {
      const { ctx } = context({ workspace: workspace(noHooks) })
      const gate = approvalStep('', {
        spec: { action: { ...actionSpec('ask'), type: 'approval' }, input: {} },
      })
      const work = startServerSteps([gate], ctx)
      expect(work.changes[0]).to.deep.include({
        status: 'suspended',
        output: { approval_message: '' },
      })
      expect([work.newJobs, work.lines]).to.deep.equal([[], []])
    })

    it('suspends without hooks when the workspace is no longer loaded', () => {
      const { ctx, jobIds } = context({ workspace: undefined })
      const work = startServerSteps([build(), approvalStep('Go?')], ctx)
      expect(work.changes.map((c) => [c.status, c.deadlineAt])).to.deep.equal([
        ['suspended', deadline],
      ])
      expect([work.newJobs, work.lines, jobIds]).to.deep.equal([[], [], []])
    })

    it('reports an on_suspended hook that cannot be created', () => {
      const broken = { ...noHooks, onSuspended: [hook('gone')] }
      const { ctx } = context({ workspace: workspace(broken) })
      const work = startServerSteps([build(), approvalStep('Go?')], ctx)
      expect(work.changes.map((c) => c.status)).to.deep.equal(['suspended'])
      expect(work.newJobs).to.deep.equal([])
      expect(work.lines).to.deep.equal([
        { line: "hook action 'gone' no longer exists", stream: 'stderr' },
      ])
    })

    it('plans no on_suspended hooks for a hook job', () => {
      const { ctx } = context({ job: jobOf({ sourceType: 'hook', sourceId: uuid(9) }) })
      const work = startServerSteps([build(), approvalStep('Go?')], ctx)
      expect(work.changes.map((c) => c.status)).to.deep.equal(['suspended'])
      expect([work.newJobs, work.lines]).to.deep.equal([[], []])
    })
  })

  describe('startServerSteps: which steps start', () => {
    type Row = { why: string; step: StepRun; starts: boolean }
    const rows: Row[] = [
      { why: 'a ready loop whose time has come', step: loopStep(['a']), starts: true },
      {
        why: 'a ready loop with no ready time',
        step: loopStep(['a'], { readyAt: null }),
        starts: true,
      },
      {
        why: 'a ready loop due only later (a retry delay)',
        step: loopStep(['a'], { readyAt: LATER }),
        starts: false,
      },
      {
        why: 'a ready task step due earlier',
        step: taskStep({ env: 'x' }, { readyAt: EARLIER }),
        starts: true,
      },
      {
        why: 'a ready task step due only later',
        step: taskStep({ env: 'x' }, { readyAt: LATER }),
        starts: false,
      },
      {
        why: 'a ready approval due only later',
        step: approvalStep('Go?', { readyAt: LATER }),
        starts: false,
      },
      {
        why: 'a pending loop',
        step: loopStep(['a'], { status: 'pending', readyAt: null }),
        starts: false,
      },
      {
        why: 'a running loop',
        step: loopStep(['a'], { status: 'running', ...ran }),
        starts: false,
      },
      {
        why: 'a running task step',
        step: taskStep({ env: 'x' }, { status: 'running', ...ran }),
        starts: false,
      },
      {
        why: 'a suspended approval',
        step: approvalStep('Go?', { status: 'suspended' }),
        starts: false,
      },
      {
        why: 'a ready worker step',
        step: stepRun('test', 'ready', { readyAt: NOW }),
        starts: false,
      },
      {
        why: 'a ready loop instance run by a worker',
        step: stepRun('fan[0]', 'ready', {
          readyAt: NOW,
          loopSource: 'fan',
          loopIndex: 0,
          spec: { forEach: null, each: { item: 'a', index: 0, total: 1 } },
        }),
        starts: false,
      },
    ]
    for (const r of rows) {
      it(`${r.starts ? 'starts' : 'leaves alone'} ${r.why}`, () => {
        const { ctx } = context()
        const work = startServerSteps([build(), r.step], ctx)
        expect(work.moves.map((m) => m.name)).to.deep.equal(r.starts ? [r.step.name] : [])
        expect(work.changes).to.have.length(r.starts ? 1 : 0)
      })
    }

    it('starts every ready server-run step in the order given', () => {
      const { ctx, jobIds, stepIds } = context()
      const steps = [
        build(),
        approvalStep('Go?'),
        stepRun('test', 'ready'),
        loopStep(['a']),
        taskStep({ env: 'x' }),
      ]
      const work = startServerSteps(steps, ctx)
      expect(work.moves.map((m) => [m.name, m.event, m.to])).to.deep.equal([
        ['gate', 'suspend', 'suspended'],
        ['fan', 'expand', 'running'],
        ['setup', 'start_child', 'running'],
      ])
      expect(work.newJobs.map((j) => [j.id, j.taskName])).to.deep.equal([
        [uuid(301), '_hook:notify'],
        [uuid(302), 'provision'],
      ])
      expect(jobIds).to.deep.equal([uuid(301), uuid(302)])
      expect(stepIds).to.deep.equal(['new-step-1', 'new-step-2', 'new-step-3'])
    })
  })

  describe('endLoops', () => {
    const running = (over: StepRunOver = {}) =>
      stepRun('fan', 'running', { ...ran, ...over, spec: { forEach: ['a', 'b'], ...over.spec } })
    const inst = (i: number, status: StepStatus, source = 'fan') =>
      stepRun(`${source}[${i}]`, status, {
        loopSource: source,
        loopIndex: i,
        loopTotal: 2,
        output: status === 'completed' ? `out-${i}` : null,
        errorMessage: status === 'failed' ? 'boom' : null,
      })
    const ctxOf = (job: Partial<Job> = {}) => ({ job: jobOf(job), now: NOW })
    const none: ServerWork = {
      moves: [],
      changes: [],
      newSteps: [],
      newJobs: [],
      details: new Map(),
      lines: [],
    }

    it('completes a loop whose instances all completed, with their outputs', () => {
      const fan = running()
      const work = endLoops([build(), fan, inst(1, 'completed'), inst(0, 'completed')], ctxOf())
      expect(work).to.deep.equal({
        ...none,
        moves: [moveStep(fan, 'complete', null, ['out-0', 'out-1'])],
        changes: [
          {
            stepId: 'step-fan',
            from: 'running',
            status: 'completed',
            errorMessage: null,
            readyAt: null,
            output: ['out-0', 'out-1'],
          },
        ],
      })
    })

    it('fails a loop with a failed instance, naming it', () => {
      const fan = running()
      const reason = 'for_each loop failed: instance [0] failed'
      const work = endLoops([fan, inst(0, 'failed'), inst(1, 'completed')], ctxOf())
      expect(work.moves).to.deep.equal([moveStep(fan, 'fail', reason)])
      expect(work.changes).to.deep.equal([
        {
          stepId: 'step-fan',
          from: 'running',
          status: 'failed',
          errorMessage: reason,
          readyAt: null,
        },
      ])
    })

    it('completes a continue_on_failure loop with null for the failed instance', () => {
      const fan = running({ spec: { continueOnFailure: true } })
      const work = endLoops([fan, inst(0, 'failed'), inst(1, 'completed')], ctxOf())
      expect(work.changes).to.deep.equal([
        {
          stepId: 'step-fan',
          from: 'running',
          status: 'completed',
          errorMessage: null,
          readyAt: null,
          output: [null, 'out-1'],
        },
      ])
    })

    it('cancels the loop of a cancelled job once its instances were cancelled', () => {
      const fan = running()
      const work = endLoops(
        [fan, inst(0, 'completed'), inst(1, 'cancelled')],
        ctxOf({ cancelRequestedAt: EARLIER }),
      )
      expect(work.moves).to.deep.equal([moveStep(fan, 'stopped')])
      expect(work.changes).to.deep.equal([
        {
          stepId: 'step-fan',
          from: 'running',
          status: 'cancelled',
          errorMessage: null,
          readyAt: null,
        },
      ])
    })

    type Idle = { why: string; steps: StepRun[] }
    const idle: Idle[] = [
      {
        why: 'an instance still runs',
        steps: [running(), inst(0, 'completed'), inst(1, 'running')],
      },
      { why: 'the loop has no instances yet', steps: [running()] },
      {
        why: "only another loop's instances are done",
        steps: [running(), inst(0, 'completed', 'other')],
      },
      {
        why: 'the loop step already ended',
        steps: [stepRun('fan', 'completed', { spec: { forEach: ['a'] } }), inst(0, 'completed')],
      },
      {
        why: 'a running step is no loop',
        steps: [stepRun('fan', 'running', ran), inst(0, 'completed')],
      },
    ]
    for (const r of idle) {
      it(`ends nothing when ${r.why}`, () => {
        expect(endLoops(r.steps, ctxOf())).to.deep.equal(none)
      })
    }

    it('ends each loop by its own instances', () => {
      const a = running()
      const b = stepRun('other', 'running', { ...ran, id: 'step-other', spec: { forEach: ['x'] } })
      const work = endLoops(
        [a, b, inst(0, 'completed'), inst(1, 'running'), inst(0, 'completed', 'other')],
        ctxOf(),
      )
      expect(work.changes.map((c) => [c.stepId, c.status, c.output])).to.deep.equal([
        ['step-other', 'completed', ['out-0']],
      ])
    })
  })
})
