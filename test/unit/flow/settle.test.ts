import { expect } from 'chai'
import type { AfterCommit } from '../../../src/flow/after-commit.ts'
import type { StepRun } from '../../../src/flow/job.ts'
import { endJob, settleJob, type SettleContext } from '../../../src/flow/settle.ts'
import type { DomainEvent } from '../../../src/shared/events.ts'
import type { JobStatus, StepStatus } from '../../../src/shared/statuses.ts'
import type { TaskDef, TaskHooks, Workspace } from '../../../src/workspace/workspace.ts'
import {
  actionDef,
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
