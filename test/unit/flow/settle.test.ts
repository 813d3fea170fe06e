import { expect } from 'chai'
import type { AfterCommit } from '../../../src/flow/after-commit.ts'
import type { Job, StepRun } from '../../../src/flow/job.ts'
import { endJob, settleJob, type SettleContext } from '../../../src/flow/settle.ts'
import type { DomainEvent } from '../../../src/shared/events.ts'
import type { JobStatus, StepStatus } from '../../../src/shared/statuses.ts'
import type { TaskDef, TaskHooks, Workspace } from '../../../src/workspace/workspace.ts'
import {
  actionDef,
  actionSpec,
  EARLIER,
  JOB_ID,
  jobOf,
  NOW,
  ran,
  retryPolicy,
  sequence,
  stepDef,
  stepRun,
  taskDef,
  uuid,
  workspaceOf,
  type StepRunOver,
} from './builders.ts'
import { hook, noHooks } from './snapshots.ts'

const who = { job_id: JOB_ID, workspace: 'default', task_name: 'deploy' }
const NOW_ISO = '2025-03-01T12:00:00.000Z'
const EARLIER_ISO = '2025-03-01T11:59:00.000Z'

type Line = AfterCommit['lines'][number]
const out = (line: string): Line => ({ jobId: JOB_ID, line, stream: 'stdout' })
const err = (line: string): Line => ({ jobId: JOB_ID, line, stream: 'stderr' })

const allHooks: TaskHooks = {
  onSuccess: [{ ...hook('notify'), input: { text: '{{ hook.task_name }} {{ hook.status }}' } }],
  onError: [{ ...hook('notify'), input: { text: '{{ hook.error_message }}' } }],
  onCancel: [hook('notify')],
  onSuspended: [],
}

function task(over: Partial<TaskDef> = {}): TaskDef {
  return taskDef('deploy', [stepDef('build'), stepDef('ship', { dependsOn: ['build'] })], {
    hooks: allHooks,
    ...over,
  })
}

function workspace(t: TaskDef = task()): Workspace {
  return workspaceOf({
    actions: [actionDef('echo'), actionDef('notify')],
    tasks: [t],
    secrets: { TOKEN: 'hunter22' },
  })
}

function context(over: Partial<SettleContext> = {}) {
  const newJobId = sequence((n) => uuid(100 + n))
  const newStepId = sequence((n) => `new-step-${n}`)
  const ctx: SettleContext = {
    now: NOW,
    workspace: workspace(),
    scrub: (text) => text.replaceAll('hunter22', '******'),
    scrubJson: (value) => value,
    newJobId,
    newStepId,
    defaults: { stepTimeoutSecs: 300, jobTimeoutSecs: null },
    ...over,
  }
  return { ctx, jobIds: newJobId.issued }
}

const build = (status: StepStatus, over: StepRunOver = {}) => stepRun('build', status, over)
const ship = (status: StepStatus, over: StepRunOver = {}) =>
  stepRun('ship', status, { position: 1, dependsOn: ['build'], ...over })

function jobFinished(status: JobStatus, startedAt: string | null): DomainEvent {
  return {
    type: 'job.finished',
    data: { ...who, status, started_at: startedAt, completed_at: NOW_ISO },
  }
}

function stepFinished(step: string, status: StepStatus, error: string | null): DomainEvent {
  return {
    type: 'step.finished',
    data: { ...who, step_name: step, attempt: 1, status, error_message: error },
  }
}

const BUILD_FAILED = 'Exit code: 1\nStderr: compile error'

describe('flow/settle', () => {
  describe('settleJob', () => {
    it('readies the next step when a step completes', () => {
      const { ctx, jobIds } = context()
      const s = settleJob(jobOf(), [build('completed', ran), ship('pending')], ctx)
      expect(s.status).to.equal('running')
      expect(s.stepChanges).to.deep.equal([
        { stepId: 'step-ship', from: 'pending', status: 'ready', errorMessage: null, readyAt: NOW },
      ])
      expect(s.jobChanges).to.deep.equal({})
      expect(s.newJobs).to.deep.equal([])
      expect([s.fx.ready, s.fx.events, s.fx.lines, s.fx.ends]).to.deep.equal([true, [], [], []])
      expect(jobIds).to.deep.equal([])
    })

    it('completes the job when its last step completes, with the output of the leaves and its hooks', () => {
      const { ctx, jobIds } = context()
      const steps = [
        build('completed', { ...ran, output: { artifact: 'app.tar' } }),
        ship('completed', { ...ran, output: { url: 'https://example.test' } }),
      ]
      const s = settleJob(jobOf(), steps, ctx)
      expect(s.status).to.equal('completed')
      expect(s.stepChanges).to.deep.equal([])
      expect(s.jobChanges).to.deep.equal({
        status: 'completed',
        completedAt: NOW,
        output: { ship: { url: 'https://example.test' } },
        errorMessage: null,
      })
      expect(s.fx.events).to.deep.equal([jobFinished('completed', EARLIER_ISO)])
      expect(s.fx.ends).to.deep.equal([
        { jobId: JOB_ID, status: 'completed', line: 'job completed' },
      ])
      expect(jobIds).to.deep.equal([uuid(101)])
      expect(s.fx.lines).to.deep.equal([out(`hook job ${uuid(101)} created (_hook:notify)`)])
      expect(s.newJobs.map((j) => [j.id, j.taskName, j.source, j.input])).to.deep.equal([
        [uuid(101), '_hook:notify', { type: 'hook', id: JOB_ID }, { text: 'deploy completed' }],
      ])
    })

    it('fails the job and plans the task retry instead of the hooks', () => {
      const { ctx, jobIds } = context({
        workspace: workspace(task({ retry: retryPolicy({ maxAttempts: 3, delaySecs: 30 }) })),
      })
      const steps = [build('failed', { ...ran, errorMessage: BUILD_FAILED }), ship('pending')]
      const s = settleJob(jobOf({ input: { env: 'prod' } }), steps, ctx)
      expect(s.status).to.equal('failed')
      expect(s.stepChanges).to.deep.equal([
        {
          stepId: 'step-ship',
          from: 'pending',
          status: 'skipped',
          errorMessage: null,
          readyAt: null,
        },
      ])
      expect(s.jobChanges).to.deep.equal({
        status: 'failed',
        completedAt: NOW,
        output: null,
        errorMessage: `Step 'build': ${BUILD_FAILED}`,
      })
      expect(s.fx.events).to.deep.equal([
        stepFinished('ship', 'skipped', null),
        jobFinished('failed', EARLIER_ISO),
      ])
      expect(s.fx.ends).to.deep.equal([
        { jobId: JOB_ID, status: 'failed', line: "job failed: Step 'build': Exit code: 1" },
      ])
      expect(jobIds).to.deep.equal([uuid(101)])
      expect(s.fx.lines).to.deep.equal([
        out("step ship skipped: dependency 'build' failed"),
        out(`task retry: job ${uuid(101)} created (attempt 2/3), starts in 30s`),
      ])
      expect(s.fx.wakeAt).to.deep.equal([new Date(NOW.getTime() + 30_000)])
      expect(s.newJobs).to.have.length(1)
      expect(s.newJobs[0]).to.deep.include({
        id: uuid(101),
        taskName: 'deploy',
        input: { env: 'prod' },
        idempotencyKey: `task-retry:${JOB_ID}:2`,
        retryOfJobId: JOB_ID,
      })
    })

    it('fires the error hooks once the task retries are used up', () => {
      const { ctx } = context({
        workspace: workspace(task({ retry: retryPolicy({ maxAttempts: 2 }) })),
      })
      const job = jobOf({ id: uuid(2), idempotencyKey: `task-retry:${JOB_ID}:2` })
      const s = settleJob(
        job,
        [build('failed', { ...ran, errorMessage: 'boom' }), ship('skipped')],
        ctx,
      )
      expect(s.status).to.equal('failed')
      expect(s.fx.wakeAt).to.deep.equal([])
      expect(s.newJobs.map((j) => [j.taskName, j.source, j.input])).to.deep.equal([
        ['_hook:notify', { type: 'hook', id: uuid(2) }, { text: "Step 'build': boom" }],
      ])
    })

    it('starts a pending job whose step was claimed', () => {
      const { ctx } = context()
      const job = jobOf({ status: 'pending', startedAt: null })
      const s = settleJob(job, [build('running', ran), ship('pending')], ctx)
      expect(s.status).to.equal('running')
      expect(s.jobChanges).to.deep.equal({ status: 'running', startedAt: NOW })
      expect(s.fx.events).to.deep.equal([
        { type: 'job.started', data: { ...who, status: 'running' } },
      ])
      expect(s.stepChanges).to.deep.equal([])
    })

    it('does not start a job that is already running', () => {
      const { ctx } = context()
      const s = settleJob(jobOf(), [build('running', ran), ship('pending')], ctx)
      expect([s.status, s.jobChanges, s.fx.events]).to.deep.equal(['running', {}, []])
    })

    it('does not start a pending job none of whose steps was claimed', () => {
      const { ctx } = context()
      const job = jobOf({ status: 'pending', startedAt: null })
      const s = settleJob(job, [build('ready'), ship('pending')], ctx)
      expect([s.status, s.jobChanges, s.fx.events]).to.deep.equal(['pending', {}, []])
    })

    it('starts and ends a pending job whose only step was claimed and already finished', () => {
      const { ctx } = context({ workspace: undefined })
      const job = jobOf({ status: 'pending', startedAt: null })
      const s = settleJob(job, [build('completed', { ...ran, output: { ok: true } })], ctx)
      expect(s.status).to.equal('completed')
      expect(s.jobChanges).to.deep.equal({
        status: 'completed',
        startedAt: NOW,
        completedAt: NOW,
        output: { build: { ok: true } },
        errorMessage: null,
      })
      expect(s.fx.events).to.deep.equal([
        { type: 'job.started', data: { ...who, status: 'running' } },
        jobFinished('completed', NOW_ISO),
      ])
    })

    it('advances no pending step of a job with a cancel request', () => {
      const { ctx } = context()
      const job = jobOf({ cancelRequestedAt: EARLIER })
      const s = settleJob(job, [build('completed', ran), ship('pending')], ctx)
      expect(s.status).to.equal('running')
      expect(s.stepChanges).to.deep.equal([])
      expect([s.fx.ready, s.fx.events, s.fx.lines]).to.deep.equal([false, [], []])
    })

    it('advances no pending step of a timed-out job', () => {
      const { ctx } = context()
      const job = jobOf({ errorMessage: 'job timed out' })
      const s = settleJob(job, [build('completed', ran), ship('pending')], ctx)
      expect([s.status, s.stepChanges, s.fx.ready]).to.deep.equal(['running', [], false])
    })

    it('ends a cancelled job with its cancel hooks', () => {
      const { ctx } = context()
      const job = jobOf({ cancelRequestedAt: EARLIER })
      const steps = [build('completed', ran), ship('cancelled', ran)]
      const s = settleJob(job, steps, ctx)
      expect(s.status).to.equal('cancelled')
      expect(s.jobChanges).to.deep.include({ status: 'cancelled', errorMessage: null })
      expect(s.fx.ends).to.deep.equal([
        { jobId: JOB_ID, status: 'cancelled', line: 'job cancelled' },
      ])
      expect(s.newJobs.map((j) => j.taskName)).to.deep.equal(['_hook:notify'])
    })

    it('fails a timed-out job with `job timed out`', () => {
      const { ctx } = context({ workspace: undefined })
      const job = jobOf({ errorMessage: 'job timed out' })
      const steps = [build('completed', ran), ship('failed', { errorMessage: 'job timed out' })]
      const s = settleJob(job, steps, ctx)
      expect(s.status).to.equal('failed')
      expect(s.jobChanges).to.deep.include({ status: 'failed', errorMessage: 'job timed out' })
      expect(s.fx.ends).to.deep.equal([
        { jobId: JOB_ID, status: 'failed', line: 'job failed: job timed out' },
      ])
    })

    it('plans no follow-up jobs for a hook job', () => {
      const hookTask = taskDef('_hook:notify', [stepDef('hook', { action: 'notify' })], {
        hooks: allHooks,
        retry: retryPolicy(),
      })
      const ws = workspaceOf({
        actions: [actionDef('notify')],
        tasks: [hookTask],
        hooks: allHooks,
      })
      const { ctx, jobIds } = context({ workspace: ws })
      const job = jobOf({ taskName: '_hook:notify', sourceType: 'hook', sourceId: uuid(9) })
      const s = settleJob(job, [stepRun('hook', 'failed', { ...ran, errorMessage: 'boom' })], ctx)
      expect(s.status).to.equal('failed')
      expect([s.newJobs, jobIds, s.fx.lines, s.fx.wakeAt]).to.deep.equal([[], [], [], []])
      expect(s.fx.ends).to.deep.equal([
        { jobId: JOB_ID, status: 'failed', line: "job failed: Step 'hook': boom" },
      ])
    })

    it('plans no follow-up jobs when the workspace version is gone', () => {
      const { ctx, jobIds } = context({ workspace: undefined })
      const s = settleJob(jobOf(), [build('completed', ran), ship('completed', ran)], ctx)
      expect([s.status, s.newJobs, jobIds, s.fx.lines]).to.deep.equal(['completed', [], [], []])
    })

    it('runs a continue_on_failure step after a failure, then completes the job', () => {
      const { ctx } = context({ workspace: undefined })
      const failedBuild = build('failed', {
        ...ran,
        errorMessage: 'flaky',
        spec: { continueOnFailure: true },
      })
      const tolerant = { spec: { continueOnFailure: true } }
      const first = settleJob(jobOf(), [failedBuild, ship('pending', tolerant)], ctx)
      expect(first.status).to.equal('running')
      expect(first.stepChanges).to.deep.equal([
        { stepId: 'step-ship', from: 'pending', status: 'ready', errorMessage: null, readyAt: NOW },
      ])
      const done = settleJob(
        jobOf(),
        [failedBuild, ship('completed', { ...ran, ...tolerant })],
        ctx,
      )
      expect(done.status).to.equal('completed')
      expect(done.jobChanges).to.deep.equal({
        status: 'completed',
        completedAt: NOW,
        output: null,
        errorMessage: null,
      })
    })

    it('masks secrets in the reason of a failed when, everywhere it is kept', () => {
      const { ctx } = context()
      const steps = [
        build('completed', ran),
        ship('pending', { spec: { when: '{{ throw(message="bad token " ~ secret.TOKEN) }}' } }),
      ]
      const s = settleJob(jobOf(), steps, ctx)
      const reason = 'when condition failed: template line 1, column 4: bad token ******'
      expect(s.status).to.equal('failed')
      expect(s.stepChanges).to.deep.equal([
        {
          stepId: 'step-ship',
          from: 'pending',
          status: 'failed',
          errorMessage: reason,
          readyAt: null,
        },
      ])
      expect(s.fx.events.slice(0, 1)).to.deep.equal([stepFinished('ship', 'failed', reason)])
      expect(s.fx.lines[0]).to.deep.equal(err(`step ship failed: ${reason}`))
      expect(s.jobChanges.errorMessage).to.equal(`Step 'ship': ${reason}`)
      expect(s.newJobs[0]!.input).to.deep.equal({ text: `Step 'ship': ${reason}` })
      expect(JSON.stringify(s)).to.not.contain('hunter22')
    })
  })

  describe('settleJob: composed workflows', () => {
    const composedHooks: TaskHooks = {
      ...noHooks,
      onCancel: [hook('notify')],
      onSuspended: [
        { ...hook('notify'), input: { text: '{{ hook.step_name }}: {{ hook.message }}' } },
      ],
    }
    const composed = workspaceOf({
      actions: [
        actionDef('echo'),
        actionDef('notify'),
        actionDef('provision', { type: 'task', task: 'provision' }),
        actionDef('ask', { type: 'approval', message: 'Ship?' }),
      ],
      tasks: [
        taskDef('deploy', [stepDef('build')], { hooks: composedHooks }),
        taskDef('provision', [stepDef('create'), stepDef('verify', { dependsOn: ['create'] })], {
          retry: retryPolicy(),
        }),
      ],
      secrets: { TOKEN: 'hunter22' },
    })
    /** A workspace whose `deploy` task has `hooks`, with a hook action `report` of type task. */
    const hookTaskWorkspace = (hooks: TaskHooks) =>
      workspaceOf({
        actions: [actionDef('echo'), actionDef('report', { type: 'task', task: 'incident' })],
        tasks: [
          taskDef('deploy', [stepDef('build')], { hooks }),
          taskDef('incident', [stepDef('open')]),
        ],
      })
    const settle = (job: Job, steps: StepRun[]) => {
      const { ctx, jobIds } = context({ workspace: composed })
      return { s: settleJob(job, steps, ctx), jobIds }
    }
    const built = build('completed', { ...ran, output: { regions: ['eu', 'us'], version: 'v2' } })
    const fanSpec = {
      forEach: '{{ build.output.regions | json_encode() }}',
      input: { r: '{{ each.item }}' },
    }
    const fan = (status: StepStatus, over: StepRunOver = {}) =>
      stepRun('fan', status, {
        position: 1,
        dependsOn: ['build'],
        ...over,
        spec: { ...fanSpec, ...over.spec },
      })
    const instance = (i: number, status: StepStatus, over: StepRunOver = {}) =>
      stepRun(`fan[${i}]`, status, {
        id: `step-fan-${i}`,
        position: 1,
        loopSource: 'fan',
        loopIndex: i,
        loopTotal: 2,
        ...over,
      })
    const report = (status: StepStatus) =>
      stepRun('report', status, { position: 2, dependsOn: ['fan'] })
    const taskSpec = (task = 'provision') => ({
      action: { ...actionSpec('provision'), type: 'task', task },
    })
    const started = (step: string): DomainEvent => ({
      type: 'step.started',
      data: { ...who, step_name: step, attempt: 1, worker_id: null },
    })

    it('expands a loop that becomes ready: its instances are new steps and the loop step runs', () => {
      const { s, jobIds } = settle(jobOf(), [built, fan('pending'), report('pending')])
      expect(s.status).to.equal('running')
      expect(s.stepChanges).to.deep.equal([
        {
          stepId: 'step-fan',
          from: 'pending',
          status: 'running',
          errorMessage: null,
          readyAt: null,
          startedAt: NOW,
        },
      ])
      expect(
        s.newSteps.map((p) => [
          p.id,
          p.name,
          p.status,
          p.dependsOn,
          p.readyAt,
          p.spec.each,
          p.loop,
        ]),
      ).to.deep.equal([
        [
          'new-step-1',
          'fan[0]',
          'ready',
          [],
          NOW,
          { item: 'eu', index: 0, total: 2 },
          { source: 'fan', index: 0, total: 2 },
        ],
        [
          'new-step-2',
          'fan[1]',
          'ready',
          [],
          NOW,
          { item: 'us', index: 1, total: 2 },
          { source: 'fan', index: 1, total: 2 },
        ],
      ])
      expect(s.fx.events).to.deep.equal([started('fan')])
      expect(s.fx.lines).to.deep.equal([out('step fan runs as a loop of 2 instances')])
      expect([s.fx.ready, s.jobChanges, s.newJobs, jobIds]).to.deep.equal([true, {}, [], []])
    })

    it('readies the next instance of a sequential loop while the loop step runs on', () => {
      const seq = { spec: { forEach: ['a', 'b'], sequential: true } }
      const { s } = settle(jobOf(), [
        built,
        fan('running', { ...ran, ...seq }),
        instance(0, 'completed', { ...ran, output: 'A' }),
        instance(1, 'pending', { dependsOn: ['fan[0]'] }),
        report('pending'),
      ])
      expect(s.status).to.equal('running')
      expect(s.stepChanges).to.deep.equal([
        {
          stepId: 'step-fan-1',
          from: 'pending',
          status: 'ready',
          errorMessage: null,
          readyAt: NOW,
        },
      ])
      expect([s.newSteps, s.fx.events, s.fx.lines]).to.deep.equal([[], [], []])
    })

    it('skips the rest of a sequential loop after a failure, then fails the loop and the job', () => {
      const seq = { spec: { forEach: ['a', 'b', 'c'], sequential: true } }
      const { s } = settle(jobOf(), [
        built,
        fan('running', { ...ran, ...seq }),
        instance(0, 'failed', { ...ran, errorMessage: 'Exit code: 1' }),
        instance(1, 'pending', { dependsOn: ['fan[0]'] }),
        instance(2, 'pending', { dependsOn: ['fan[1]'] }),
        report('pending'),
      ])
      const skipped = (stepId: string) => ({
        stepId,
        from: 'pending',
        status: 'skipped',
        errorMessage: null,
        readyAt: null,
      })
      const reason = 'for_each loop failed: instance [0] failed'
      expect(s.status).to.equal('failed')
      expect(s.stepChanges).to.deep.equal([
        skipped('step-fan-1'),
        skipped('step-fan-2'),
        {
          stepId: 'step-fan',
          from: 'running',
          status: 'failed',
          errorMessage: reason,
          readyAt: null,
        },
        skipped('step-report'),
      ])
      expect(s.fx.lines).to.deep.equal([
        out("step fan[1] skipped: dependency 'fan[0]' failed"),
        out('step fan[2] skipped: all dependencies were skipped'),
        err(`step fan failed: ${reason}`),
        out("step report skipped: dependency 'fan' failed"),
      ])
      expect(s.jobChanges).to.deep.include({
        status: 'failed',
        errorMessage: `Step 'fan': ${reason}; Step 'fan[0]': Exit code: 1`,
      })
    })

    it('ends a loop when its last instance finishes, and readies its dependants in the same settle', () => {
      const { s } = settle(jobOf(), [
        built,
        fan('running', ran),
        instance(1, 'completed', { ...ran, output: { r: 'us' } }),
        instance(0, 'completed', { ...ran, output: { r: 'eu' } }),
        report('pending'),
      ])
      expect(s.status).to.equal('running')
      expect(s.stepChanges).to.deep.equal([
        {
          stepId: 'step-fan',
          from: 'running',
          status: 'completed',
          errorMessage: null,
          readyAt: null,
          output: [{ r: 'eu' }, { r: 'us' }],
        },
        {
          stepId: 'step-report',
          from: 'pending',
          status: 'ready',
          errorMessage: null,
          readyAt: NOW,
        },
      ])
      expect(s.fx.events).to.deep.equal([stepFinished('fan', 'completed', null)])
      expect(s.fx.lines).to.deep.equal([out('step fan completed')])
      expect([s.fx.ready, s.newSteps, s.newJobs, s.jobChanges]).to.deep.equal([true, [], [], {}])
    })

    it('completes the job with the list of a loop that is its leaf', () => {
      const tolerant = { spec: { continueOnFailure: true } }
      const { s } = settle(jobOf(), [
        built,
        fan('running', { ...ran, ...tolerant }),
        instance(0, 'completed', { ...ran, output: 1 }),
        instance(1, 'failed', { ...ran, ...tolerant, errorMessage: 'boom' }),
      ])
      expect(s.status).to.equal('completed')
      expect(s.jobChanges).to.deep.equal({
        status: 'completed',
        completedAt: NOW,
        output: { fan: [1, null] },
        errorMessage: null,
      })
    })

    it('starts a task step as soon as its dependencies settle: one write pending -> running', () => {
      const setup = stepRun('setup', 'pending', {
        position: 1,
        dependsOn: ['build'],
        spec: {
          ...taskSpec(),
          input: { version: '{{ build.output.version }}', token: '{{ secret.TOKEN }}' },
        },
      })
      const { s, jobIds } = settle(jobOf(), [built, setup])
      expect(s.status).to.equal('running')
      expect(s.stepChanges).to.deep.equal([
        {
          stepId: 'step-setup',
          from: 'pending',
          status: 'running',
          errorMessage: null,
          readyAt: null,
          startedAt: NOW,
          childJobId: uuid(101),
          input: { version: 'v2', token: 'hunter22' },
        },
      ])
      expect(jobIds).to.deep.equal([uuid(101)])
      expect(s.newJobs.map((j) => [j.id, j.taskName, j.source, j.parent, j.input])).to.deep.equal([
        [
          uuid(101),
          'provision',
          { type: 'task', id: `${JOB_ID}/setup` },
          { jobId: JOB_ID, stepName: 'setup', depth: 1 },
          { version: 'v2', token: 'hunter22' },
        ],
      ])
      expect(s.fx.events).to.deep.equal([started('setup')])
      expect(s.fx.lines).to.deep.equal([
        out(`step setup started child job ${uuid(101)} (task provision)`),
      ])
      expect([s.newSteps, s.jobChanges]).to.deep.equal([[], {}])
    })

    it('starts a child for each instance of a loop of task steps in the same settle', () => {
      const loop = fan('pending', { spec: { ...taskSpec(), forEach: ['eu', 'us'] } })
      const { s, jobIds } = settle(jobOf(), [built, loop])
      expect(
        s.stepChanges.map((c) => [c.stepId, c.from, c.status, c.childJobId, c.input]),
      ).to.deep.equal([
        ['step-fan', 'pending', 'running', undefined, undefined],
        ['new-step-1', 'ready', 'running', uuid(101), { r: 'eu' }],
        ['new-step-2', 'ready', 'running', uuid(102), { r: 'us' }],
      ])
      expect(s.newSteps.map((p) => [p.id, p.name, p.status])).to.deep.equal([
        ['new-step-1', 'fan[0]', 'ready'],
        ['new-step-2', 'fan[1]', 'ready'],
      ])
      expect(jobIds).to.deep.equal([uuid(101), uuid(102)])
      expect(s.newJobs.map((j) => [j.source.id, j.input])).to.deep.equal([
        [`${JOB_ID}/fan[0]`, { r: 'eu' }],
        [`${JOB_ID}/fan[1]`, { r: 'us' }],
      ])
      expect(s.fx.events).to.deep.equal([started('fan'), started('fan[0]'), started('fan[1]')])
    })

    it('fails a loop whose instances cannot start, skips its dependants and fails the job, in one settle', () => {
      const loop = fan('pending', { spec: { ...taskSpec('gone'), forEach: ['eu', 'us'] } })
      const { s } = settle(jobOf(), [built, loop, report('pending')])
      const gone = "task 'gone' not found in workspace 'default'"
      const loopFailed = 'for_each loop failed: instances [0, 1] failed'
      expect(s.status).to.equal('failed')
      expect(s.stepChanges).to.deep.equal([
        {
          stepId: 'step-fan',
          from: 'pending',
          status: 'failed',
          errorMessage: loopFailed,
          readyAt: null,
          startedAt: NOW,
        },
        {
          stepId: 'new-step-1',
          from: 'ready',
          status: 'failed',
          errorMessage: gone,
          readyAt: null,
        },
        {
          stepId: 'new-step-2',
          from: 'ready',
          status: 'failed',
          errorMessage: gone,
          readyAt: null,
        },
        {
          stepId: 'step-report',
          from: 'pending',
          status: 'skipped',
          errorMessage: null,
          readyAt: null,
        },
      ])
      expect(s.fx.lines).to.deep.equal([
        out('step fan runs as a loop of 2 instances'),
        err(`step fan[0] failed: ${gone}`),
        err(`step fan[1] failed: ${gone}`),
        err(`step fan failed: ${loopFailed}`),
        out("step report skipped: dependency 'fan' failed"),
      ])
      expect(s.jobChanges).to.deep.equal({
        status: 'failed',
        completedAt: NOW,
        output: null,
        errorMessage: `Step 'fan': ${loopFailed}; Step 'fan[0]': ${gone}; Step 'fan[1]': ${gone}`,
      })
    })

    it('skips an empty loop and its dependants, then completes the job', () => {
      const { s } = settle(jobOf(), [
        built,
        fan('pending', { spec: { forEach: [] } }),
        report('pending'),
      ])
      expect(s.status).to.equal('completed')
      expect(s.stepChanges).to.deep.equal([
        {
          stepId: 'step-fan',
          from: 'pending',
          status: 'skipped',
          errorMessage: null,
          readyAt: null,
        },
        {
          stepId: 'step-report',
          from: 'pending',
          status: 'skipped',
          errorMessage: null,
          readyAt: null,
        },
      ])
      expect(s.fx.lines).to.deep.equal([
        out('step fan skipped: for_each list is empty'),
        out('step report skipped: all dependencies were skipped'),
      ])
      expect(s.newSteps).to.deep.equal([])
    })

    it('suspends an approval as soon as it becomes ready, with its on_suspended hook jobs', () => {
      const gate = stepRun('gate', 'pending', {
        position: 1,
        dependsOn: ['build'],
        spec: {
          action: { ...actionSpec('ask'), type: 'approval', message: 'Ship {{ input.v }}?' },
          input: { v: '{{ build.output.version }}' },
          timeoutSecs: 3600,
        },
      })
      const { s, jobIds } = settle(jobOf(), [built, gate])
      expect(s.status).to.equal('running')
      expect(s.stepChanges).to.deep.equal([
        {
          stepId: 'step-gate',
          from: 'pending',
          status: 'suspended',
          errorMessage: null,
          readyAt: null,
          startedAt: NOW,
          suspendedAt: NOW,
          deadlineAt: new Date('2025-03-01T13:00:00.000Z'),
          output: { approval_message: 'Ship v2?' },
          input: { v: 'v2' },
        },
      ])
      expect(s.fx.events).to.deep.equal([
        { type: 'step.suspended', data: { ...who, step_name: 'gate', message: 'Ship v2?' } },
      ])
      expect(s.fx.lines).to.deep.equal([
        out('step gate waits for an approval: Ship v2?'),
        out(`hook job ${uuid(101)} created (_hook:notify)`),
      ])
      expect(jobIds).to.deep.equal([uuid(101)])
      expect(s.newJobs.map((j) => [j.taskName, j.source, j.input])).to.deep.equal([
        ['_hook:notify', { type: 'hook', id: JOB_ID }, { text: 'gate: Ship v2?' }],
      ])
      expect(s.jobChanges).to.deep.equal({})
    })

    it('starts a pending job whose ready root approval suspends', () => {
      const gate = stepRun('gate', 'ready', {
        readyAt: EARLIER,
        spec: { action: { ...actionSpec('ask'), type: 'approval', message: 'Go?' } },
      })
      const job = jobOf({ status: 'pending', startedAt: null })
      const { s } = settle(job, [gate, ship('pending', { dependsOn: ['gate'] })])
      expect(s.status).to.equal('running')
      expect(s.stepChanges.map((c) => [c.stepId, c.from, c.status])).to.deep.equal([
        ['step-gate', 'ready', 'suspended'],
      ])
      expect(s.jobChanges).to.deep.equal({ status: 'running', startedAt: NOW })
      expect(s.fx.events.map((e) => e.type)).to.deep.equal(['step.suspended', 'job.started'])
    })

    it('cancels the loop of a cancelled job whose instances were cancelled, then ends the job', () => {
      const { s, jobIds } = settle(jobOf({ cancelRequestedAt: EARLIER }), [
        built,
        fan('running', ran),
        instance(0, 'completed', { ...ran, output: 'A' }),
        instance(1, 'cancelled'),
        report('cancelled'),
      ])
      expect(s.status).to.equal('cancelled')
      expect(s.stepChanges).to.deep.equal([
        {
          stepId: 'step-fan',
          from: 'running',
          status: 'cancelled',
          errorMessage: null,
          readyAt: null,
        },
      ])
      expect(s.jobChanges).to.deep.equal({
        status: 'cancelled',
        completedAt: NOW,
        output: null,
        errorMessage: null,
      })
      expect(s.fx.events).to.deep.equal([
        stepFinished('fan', 'cancelled', null),
        jobFinished('cancelled', EARLIER_ISO),
      ])
      expect(s.fx.lines).to.deep.equal([
        out('step fan cancelled'),
        out(`hook job ${uuid(101)} created (_hook:notify)`),
      ])
      expect(s.fx.ends).to.deep.equal([
        { jobId: JOB_ID, status: 'cancelled', line: 'job cancelled' },
      ])
      expect(jobIds).to.deep.equal([uuid(101)])
      expect(s.newJobs.map((j) => j.taskName)).to.deep.equal(['_hook:notify'])
    })

    it('starts nothing for a cancelled job: a ready loop stays as it is', () => {
      const { s } = settle(jobOf({ cancelRequestedAt: EARLIER }), [
        built,
        fan('ready', { readyAt: NOW }),
      ])
      expect([s.status, s.stepChanges, s.newSteps, s.newJobs]).to.deep.equal([
        'running',
        [],
        [],
        [],
      ])
    })

    it('fails the loop of a timed-out job whose instances failed with it', () => {
      const timedOut = { errorMessage: 'job timed out' }
      const { s } = settle(jobOf(timedOut), [
        built,
        fan('running', ran),
        instance(0, 'failed', timedOut),
        instance(1, 'failed', timedOut),
      ])
      expect(s.status).to.equal('failed')
      expect(s.stepChanges).to.deep.equal([
        {
          stepId: 'step-fan',
          from: 'running',
          status: 'failed',
          errorMessage: 'for_each loop failed: instances [0, 1] failed',
          readyAt: null,
        },
      ])
      expect(s.jobChanges).to.deep.include({ status: 'failed', errorMessage: 'job timed out' })
    })

    it('tells the parent when a child job ends, and does not retry a failed child as a task', () => {
      const child = jobOf({
        taskName: 'provision',
        sourceType: 'task',
        sourceId: `${uuid(50)}/setup`,
        parentJobId: uuid(50),
        parentStepName: 'setup',
        depth: 1,
      })
      const failed = [
        stepRun('create', 'failed', { ...ran, errorMessage: 'boom' }),
        stepRun('verify', 'skipped', { dependsOn: ['create'] }),
      ]
      const { s, jobIds } = settle(child, failed)
      expect(s.status).to.equal('failed')
      expect(s.fx.childEnds).to.deep.equal([{ parentJobId: uuid(50), childJobId: JOB_ID }])
      expect([s.newJobs, jobIds, s.fx.wakeAt]).to.deep.equal([[], [], []])
      const done = settle(child, [
        stepRun('create', 'completed', ran),
        stepRun('verify', 'completed', { ...ran, output: 1 }),
      ])
      expect(done.s.fx.childEnds).to.deep.equal([{ parentJobId: uuid(50), childJobId: JOB_ID }])
      expect(done.s.jobChanges).to.deep.include({ status: 'completed', output: { verify: 1 } })
    })

    it('gives the job of an on_suspended hook that is a task the default job timeout', () => {
      const ws = hookTaskWorkspace({ ...noHooks, onSuspended: [hook('report')] })
      const { ctx } = context({
        workspace: ws,
        defaults: { stepTimeoutSecs: 300, jobTimeoutSecs: 3600 },
      })
      const gate = stepRun('gate', 'ready', {
        readyAt: NOW,
        spec: { action: { ...actionSpec('ask'), type: 'approval', message: 'Go?' } },
      })
      const s = settleJob(jobOf(), [gate], ctx)
      expect(s.newJobs.map((j) => [j.taskName, j.source, j.timeoutAt])).to.deep.equal([
        ['incident', { type: 'hook', id: JOB_ID }, new Date('2025-03-01T13:00:00.000Z')],
      ])
    })

    // Every job planned in full takes the default job timeout when its task has none
    // (STROEM-REFERENCE.md §7.2), a hook job of a task included.
    it("gives the job of an ending job's hook that is a task the default job timeout", () => {
      const ws = hookTaskWorkspace({ ...noHooks, onSuccess: [hook('report')] })
      const { ctx } = context({
        workspace: ws,
        defaults: { stepTimeoutSecs: 300, jobTimeoutSecs: 3600 },
      })
      const s = settleJob(jobOf(), [build('completed', ran)], ctx)
      expect(s.newJobs.map((j) => [j.taskName, j.source, j.timeoutAt])).to.deep.equal([
        ['incident', { type: 'hook', id: JOB_ID }, new Date('2025-03-01T13:00:00.000Z')],
      ])
    })

    it('tells no parent when a top-level job ends', () => {
      const { s } = settle(jobOf(), [built])
      expect([s.status, s.fx.childEnds]).to.deep.equal(['completed', []])
    })
  })

  describe('endJob', () => {
    const steps: StepRun[] = [build('skipped'), ship('skipped')]

    it('ends a pending job that never ran, with a null start and its hooks', () => {
      const { ctx } = context()
      const e = endJob(jobOf({ status: 'pending', startedAt: null }), steps, 'completed', ctx)
      expect(e.jobChanges).to.deep.equal({
        status: 'completed',
        completedAt: NOW,
        output: null,
        errorMessage: null,
      })
      expect(e.fx.events).to.deep.equal([jobFinished('completed', null)])
      expect(e.fx.ends).to.deep.equal([
        { jobId: JOB_ID, status: 'completed', line: 'job completed' },
      ])
      expect(e.newJobs.map((j) => [j.taskName, j.input])).to.deep.equal([
        ['_hook:notify', { text: 'deploy completed' }],
      ])
    })

    it('reports a start of now for a pending job with a claimed step', () => {
      const { ctx } = context({ workspace: undefined })
      const job = jobOf({ status: 'pending', startedAt: null })
      const e = endJob(job, [build('failed', { ...ran, errorMessage: 'boom' })], 'failed', ctx)
      expect(e.fx.events).to.deep.equal([jobFinished('failed', NOW_ISO)])
      expect(e.jobChanges).to.deep.include({ errorMessage: "Step 'build': boom" })
    })

    it("keeps the job's own error message over the failed steps'", () => {
      const { ctx } = context({ workspace: undefined })
      const job = jobOf({ errorMessage: 'job timed out' })
      const e = endJob(job, [build('failed', { ...ran, errorMessage: 'boom' })], 'failed', ctx)
      expect(e.jobChanges).to.deep.include({ status: 'failed', errorMessage: 'job timed out' })
    })

    it('reports a hook that cannot be created on the job log', () => {
      const broken = task({ hooks: { ...noHooks, onSuccess: [hook('gone')] } })
      const { ctx } = context({ workspace: workspace(broken) })
      const e = endJob(jobOf(), steps, 'completed', ctx)
      expect(e.newJobs).to.deep.equal([])
      expect(e.fx.lines).to.deep.equal([err("hook action 'gone' no longer exists")])
    })

    it('refuses to end a job that already ended', () => {
      const { ctx } = context()
      expect(() => endJob(jobOf({ status: 'completed' }), steps, 'completed', ctx)).to.throw(
        `job ${JOB_ID}: illegal job transition: 'complete' in status 'completed'`,
      )
    })
  })
})
