import { expect } from 'chai'
import {
  buildHookContext,
  planHookJobs,
  planSuspendedHooks,
  selectHooks,
} from '../../../src/flow/hooks.ts'
import { deriveJobStatus } from '../../../src/flow/job-status.ts'
import { toActionSpec } from '../../../src/flow/step-spec.ts'
import type { JobStatus, SourceType } from '../../../src/shared/statuses.ts'
import type { HookDef, TaskDef, TaskHooks, Workspace } from '../../../src/workspace/workspace.ts'
import {
  actionDef,
  EARLIER,
  inputField,
  JOB_ID,
  NOW,
  retryPolicy,
  sequence,
  stepDef,
  taskDef,
  uuid,
  workspaceOf,
} from './builders.ts'
import { crashWithHook, hook, hooks, noHooks, tolerateFailure } from './snapshots.ts'

describe('flow/hooks', () => {
  describe('buildHookContext', () => {
    const job = {
      id: 'job-1',
      workspace: 'default',
      taskName: 'crash-with-hook',
      status: 'failed' as const,
      sourceType: 'api',
      sourceId: null,
      startedAt: new Date('2025-01-02T03:04:05.000Z'),
      completedAt: new Date('2025-01-02T03:04:07.500Z'),
    }

    it('describes the crash-with-hook example', () => {
      expect(buildHookContext(job, crashWithHook)).to.deep.equal({
        workspace: 'default',
        task_name: 'crash-with-hook',
        job_id: 'job-1',
        status: 'failed',
        is_success: false,
        error_message: "Step 'parse': Exit code: 1\nStderr: ValueError: three",
        source_type: 'api',
        source_id: null,
        started_at: '2025-01-02T03:04:05.000Z',
        completed_at: '2025-01-02T03:04:07.500Z',
        duration_secs: 2.5,
        failed_steps: [
          {
            step_name: 'parse',
            action_name: 'parse-action',
            error_message: 'Exit code: 1\nStderr: ValueError: three',
            continue_on_failure: false,
          },
        ],
        artifacts: [],
      })
    })

    it('reports success with a tolerated failure still listed', () => {
      const ctx = buildHookContext({ ...job, status: 'completed' }, tolerateFailure)
      expect(ctx.is_success).to.equal(true)
      expect(ctx.error_message).to.equal("Step 'optional-probe': Exit code: 3\nStderr: unreachable")
      expect(ctx.failed_steps.map((f) => f.continue_on_failure)).to.deep.equal([true])
    })

    it('has null times and duration for a job that never started', () => {
      const ctx = buildHookContext({ ...job, status: 'cancelled', startedAt: null }, [])
      expect(ctx).to.include({ started_at: null, duration_secs: null, error_message: null })
      expect(ctx.completed_at).to.equal('2025-01-02T03:04:07.500Z')
    })
  })

  describe('selectHooks (§5.6)', () => {
    const task = hooks('task')
    const ws = hooks('ws')
    type Row = { status: JobStatus; source: SourceType; task: TaskHooks; want: string[] }
    const rows: Row[] = [
      { status: 'completed', source: 'api', task, want: ['task-success'] },
      { status: 'failed', source: 'user', task, want: ['task-error'] },
      { status: 'cancelled', source: 'trigger', task, want: ['task-cancel'] },
      { status: 'failed', source: 'task', task, want: ['task-error'] },
      { status: 'completed', source: 'api', task: noHooks, want: ['ws-success'] },
      { status: 'failed', source: 'user', task: noHooks, want: ['ws-error'] },
      { status: 'failed', source: 'trigger', task: noHooks, want: ['ws-error'] },
      { status: 'cancelled', source: 'webhook', task: noHooks, want: ['ws-cancel'] },
      { status: 'failed', source: 'task', task: noHooks, want: [] },
      { status: 'failed', source: 'hook', task, want: [] },
      { status: 'failed', source: 'hook', task: noHooks, want: [] },
      { status: 'running', source: 'api', task, want: [] },
      { status: 'pending', source: 'api', task: noHooks, want: [] },
    ]
    for (const r of rows) {
      const label = r.task === noHooks ? 'no task hooks' : 'task hooks'
      it(`${r.status} job from ${r.source} with ${label} -> ${JSON.stringify(r.want)}`, () => {
        const got = selectHooks(r.status, r.source, r.task, ws).map((h) => h.action)
        expect(got).to.deep.equal(r.want)
      })
    }

    it('crash-with-hook fires its on_error hook', () => {
      const own: TaskHooks = { ...noHooks, onError: [hook('print-hook-context')] }
      const status = deriveJobStatus(crashWithHook, { cancelRequested: false, everClaimed: true })
      const got = selectHooks(status, 'api', own, noHooks).map((h) => h.action)
      expect(got).to.deep.equal(['print-hook-context'])
    })
  })

  describe('planHookJobs', () => {
    const notify = actionDef('notify', {
      retry: retryPolicy({ maxAttempts: 2 }),
      tags: ['chat'],
      input: [],
    })
    const page = actionDef('page')
    const ws = workspaceOf({ actions: [notify, page], secrets: { CHAT_TOKEN: 'tok-123' } })
    const finishedJob = {
      id: JOB_ID,
      workspace: 'default',
      taskName: 'crash-with-hook',
      status: 'failed' as const,
      sourceType: 'api' as const,
      sourceId: null,
      startedAt: EARLIER,
      completedAt: NOW,
    }
    const withInput = (action: string, input: Record<string, unknown>): HookDef => ({
      ...hook(action),
      input,
    })
    function plan(taskHooks: TaskHooks, over: { workspace?: Workspace } = {}) {
      const newJobId = sequence(uuid)
      const newStepId = sequence((n) => `hook-step-${n}`)
      const result = planHookJobs({
        job: finishedJob,
        steps: crashWithHook,
        workspace: over.workspace ?? ws,
        taskHooks,
        now: NOW,
        newJobId,
        newStepId,
        defaultStepTimeoutSecs: 600,
      })
      return { result, jobIds: newJobId.issued, stepIds: newStepId.issued }
    }

    it('plans one job per selected hook, its single step ready through deps_met', () => {
      const input = {
        status: '{{ hook.status }}',
        error: '{{ hook.error_message }}',
        token: '{{ secret.CHAT_TOKEN }}',
        failed: '{{ hook.failed_steps }}',
        attempts: 3,
      }
      const { result, jobIds, stepIds } = plan({
        ...noHooks,
        onError: [withInput('notify', input), hook('page')],
      })
      expect(result.problems).to.deep.equal([])
      expect(jobIds).to.deep.equal([uuid(1), uuid(2)])
      expect(stepIds).to.deep.equal(['hook-step-1', 'hook-step-2'])
      const rendered = {
        status: 'failed',
        error: "Step 'parse': Exit code: 1\nStderr: ValueError: three",
        token: 'tok-123',
        failed: [
          {
            step_name: 'parse',
            action_name: 'parse-action',
            error_message: 'Exit code: 1\nStderr: ValueError: three',
            continue_on_failure: false,
          },
        ],
        attempts: 3,
      }
      const [first, second] = result.jobs
      expect(first).to.deep.equal({
        id: uuid(1),
        workspace: 'default',
        taskName: '_hook:notify',
        mode: 'distributed',
        status: 'pending',
        source: { type: 'hook', id: JOB_ID },
        input: rendered,
        rawInput: null,
        revision: 'rev-1',
        fireKey: null,
        idempotencyKey: null,
        retryOfJobId: null,
        timeoutAt: null,
        createdAt: NOW,
        completedAt: null,
        moves: [
          {
            stepId: 'hook-step-1',
            name: 'hook',
            attempt: 1,
            from: 'pending',
            event: 'deps_met',
            to: 'ready',
            effects: ['claimable', 'wake'],
            reason: null,
          },
        ],
        steps: [
          {
            id: 'hook-step-1',
            name: 'hook',
            position: 0,
            actionName: 'notify',
            actionType: 'script',
            runner: 'local',
            status: 'ready',
            spec: {
              action: toActionSpec(notify),
              input: rendered,
              inputIsLiteral: true,
              when: null,
              continueOnFailure: false,
              timeoutSecs: 600,
              retry: retryPolicy({ maxAttempts: 2 }),
              root: '/srv/workspace',
            },
            dependsOn: [],
            input: rendered,
            tags: ['chat'],
            readyAt: NOW,
            errorMessage: null,
            completedAt: null,
          },
        ],
      })
      expect(second!.taskName).to.equal('_hook:page')
      expect(second!.input).to.deep.equal({})
      expect(second!.steps.map((s) => [s.id, s.status, s.spec.retry])).to.deep.equal([
        ['hook-step-2', 'ready', null],
      ])
      expect(second!.moves.map((m) => [m.stepId, m.event])).to.deep.equal([
        ['hook-step-2', 'deps_met'],
      ])
    })

    it('renders now() in hook input at the time of the settle', () => {
      const { result } = plan({
        ...noHooks,
        onError: [withInput('notify', { at: '{{ now(timestamp=true) }}' })],
      })
      expect(result.jobs[0]?.input).to.deep.equal({ at: String(NOW.getTime() / 1000) })
    })

    it('falls back to the workspace hooks for a top-level job', () => {
      const fallback = workspaceOf({
        actions: [notify],
        hooks: { ...noHooks, onError: [withInput('notify', { who: '{{ hook.source_type }}' })] },
      })
      const { result } = plan(noHooks, { workspace: fallback })
      expect(result.jobs.map((j) => [j.taskName, j.input])).to.deep.equal([
        ['_hook:notify', { who: 'api' }],
      ])
    })

    type ProblemRow = { why: string; hooks: HookDef[]; problems: string[]; planned: string[] }
    const rows: ProblemRow[] = [
      {
        why: 'an action that no longer exists',
        hooks: [hook('gone'), hook('page')],
        problems: ["hook action 'gone' no longer exists"],
        planned: ['_hook:page'],
      },
      {
        why: 'an input naming an unknown hook variable',
        hooks: [withInput('notify', { text: '{{ hook.nope }}' }), hook('page')],
        problems: [
          "hook 'notify' input could not be rendered: text: template line 1, column 4: variable 'hook.nope' is not defined",
        ],
        planned: ['_hook:page'],
      },
      {
        why: 'an input reading the job input, which hooks do not see',
        hooks: [withInput('notify', { text: '{{ input.env }}' })],
        problems: [
          "hook 'notify' input could not be rendered: text: template line 1, column 4: variable 'input.env' is not defined",
        ],
        planned: [],
      },
    ]
    for (const r of rows) {
      it(`reports ${r.why} as a problem instead of a job`, () => {
        const { result, jobIds } = plan({ ...noHooks, onError: r.hooks })
        expect(result.problems).to.deep.equal(r.problems)
        expect(result.jobs.map((j) => j.taskName)).to.deep.equal(r.planned)
        expect(jobIds).to.have.length(r.planned.length)
      })
    }

    it('plans nothing when no hook is selected', () => {
      const { result, jobIds, stepIds } = plan({ ...noHooks, onSuccess: [hook('notify')] })
      expect(result).to.deep.equal({ jobs: [], problems: [] })
      expect([jobIds, stepIds]).to.deep.equal([[], []])
    })

    it('plans nothing for a hook job, whatever hooks it would select', () => {
      const result = planHookJobs({
        job: { ...finishedJob, sourceType: 'hook' },
        steps: crashWithHook,
        workspace: workspaceOf({ actions: [notify], hooks: hooks('ws') }),
        taskHooks: { ...noHooks, onError: [hook('notify')] },
        now: NOW,
        newJobId: sequence(uuid),
        newStepId: sequence((n) => `s${n}`),
        defaultStepTimeoutSecs: 600,
      })
      expect(result).to.deep.equal({ jobs: [], problems: [] })
    })
  })

  describe('planHookJobs: hooks whose action is a task', () => {
    const incident = (over: Partial<TaskDef> = {}): TaskDef =>
      taskDef('incident', [stepDef('open'), stepDef('page', { dependsOn: ['open'] })], {
        declaresInput: true,
        input: [
          ['summary', inputField({ required: true })],
          ['severity', inputField({ default: 'low' })],
        ],
        ...over,
      })
    const workspace = (task: TaskDef | null = incident()) =>
      workspaceOf({
        actions: [
          actionDef('echo'),
          actionDef('notify'),
          actionDef('report', { type: 'task', task: 'incident' }),
        ],
        tasks: task ? [task] : [],
      })
    const failedJob = {
      id: JOB_ID,
      workspace: 'default',
      taskName: 'crash-with-hook',
      status: 'failed' as const,
      sourceType: 'api' as const,
      sourceId: null,
      startedAt: EARLIER,
      completedAt: NOW,
    }
    const report = (input: Record<string, unknown>): HookDef => ({ ...hook('report'), input })
    function plan(hooksOnError: HookDef[], ws: Workspace = workspace()) {
      const newJobId = sequence(uuid)
      const newStepId = sequence((n) => `hook-step-${n}`)
      const result = planHookJobs({
        job: failedJob,
        steps: crashWithHook,
        workspace: ws,
        taskHooks: { ...noHooks, onError: hooksOnError },
        now: NOW,
        newJobId,
        newStepId,
        defaultStepTimeoutSecs: 600,
        defaultJobTimeoutSecs: 3600,
      })
      return { result, jobIds: newJobId.issued, stepIds: newStepId.issued }
    }

    it('plans a full job of the task, its input checked with defaults, sourced from the hook', () => {
      const { result, jobIds, stepIds } = plan([
        report({ summary: '{{ hook.task_name }}: {{ hook.status }}' }),
      ])
      expect(result.problems).to.deep.equal([])
      expect(jobIds).to.deep.equal([uuid(1)])
      expect(stepIds).to.deep.equal(['hook-step-1', 'hook-step-2'])
      expect(result.jobs).to.have.length(1)
      const { steps, moves, ...job } = result.jobs[0]!
      expect(job).to.deep.equal({
        id: uuid(1),
        workspace: 'default',
        taskName: 'incident',
        mode: 'distributed',
        status: 'pending',
        source: { type: 'hook', id: JOB_ID },
        input: { summary: 'crash-with-hook: failed', severity: 'low' },
        rawInput: { summary: 'crash-with-hook: failed' },
        revision: 'rev-1',
        fireKey: null,
        idempotencyKey: null,
        retryOfJobId: null,
        timeoutAt: new Date('2025-03-01T13:00:00.000Z'),
        createdAt: NOW,
        completedAt: null,
      })
      expect(steps.map((x) => [x.id, x.name, x.status, x.spec.timeoutSecs])).to.deep.equal([
        ['hook-step-1', 'open', 'ready', 600],
        ['hook-step-2', 'page', 'pending', 600],
      ])
      expect(moves.map((m) => [m.name, m.event])).to.deep.equal([['open', 'deps_met']])
    })

    it("keeps the task's own timeout", () => {
      const { result } = plan([report({ summary: 'x' })], workspace(incident({ timeoutSecs: 60 })))
      expect(result.jobs[0]?.timeoutAt).to.deep.equal(new Date('2025-03-01T12:01:00.000Z'))
    })

    type Row = {
      why: string
      hooks: HookDef[]
      ws?: Workspace
      problems: string[]
      planned: string[]
    }
    const rows: Row[] = [
      {
        why: 'an input the task refuses, every problem named',
        hooks: [report({ severity: 5, extra: '{{ hook.job_id }}' }), hook('notify')],
        problems: [
          "hook 'report': invalid input: input.extra: unknown field; input.summary: required field is missing; input.severity: expected string, got number",
        ],
        planned: ['_hook:notify'],
      },
      {
        why: 'a task missing from the workspace',
        hooks: [report({ summary: 'x' })],
        ws: workspace(null),
        problems: ["hook 'report': task 'incident' cannot run"],
        planned: [],
      },
      {
        why: 'an unavailable task',
        hooks: [report({ summary: 'x' }), hook('notify')],
        ws: workspace(incident({ unavailable: "step 'page' uses pod" })),
        problems: ["hook 'report': task 'incident' cannot run"],
        planned: ['_hook:notify'],
      },
      {
        why: 'an input that does not render',
        hooks: [report({ summary: '{{ hook.nope }}' })],
        problems: [
          "hook 'report' input could not be rendered: summary: template line 1, column 4: variable 'hook.nope' is not defined",
        ],
        planned: [],
      },
    ]
    for (const r of rows) {
      it(`reports ${r.why} as a problem instead of a job`, () => {
        const { result, jobIds } = plan(r.hooks, r.ws)
        expect(result.problems).to.deep.equal(r.problems)
        expect(result.jobs.map((j) => j.taskName)).to.deep.equal(r.planned)
        expect(jobIds).to.have.length(r.planned.length)
      })
    }
  })

  describe('planSuspendedHooks', () => {
    const notify = actionDef('notify')
    const report = actionDef('report', { type: 'task', task: 'incident' })
    const incident = taskDef('incident', [stepDef('open')], {
      declaresInput: true,
      input: [['summary', inputField({ required: true })]],
    })
    const wsHooks: TaskHooks = { ...hooks('ws'), onSuspended: [hook('ws-suspended')] }
    const ws = workspaceOf({
      actions: [
        actionDef('echo'),
        notify,
        report,
        actionDef('task-suspended'),
        actionDef('ws-suspended'),
      ],
      tasks: [incident],
      hooks: wsHooks,
    })
    const taskHooks: TaskHooks = { ...hooks('task'), onSuspended: [hook('task-suspended')] }
    const suspendedJob = {
      id: JOB_ID,
      workspace: 'default',
      taskName: 'release',
      sourceType: 'api' as SourceType,
      sourceId: null,
    }
    function plan(
      over: { sourceType?: SourceType; taskHooks?: TaskHooks; workspace?: Workspace } = {},
    ) {
      const newJobId = sequence(uuid)
      const result = planSuspendedHooks({
        job: { ...suspendedJob, sourceType: over.sourceType ?? 'api' },
        stepName: 'gate',
        message: 'Ship v2?',
        workspace: over.workspace ?? ws,
        taskHooks: over.taskHooks ?? taskHooks,
        now: NOW,
        newJobId,
        newStepId: sequence((n) => `hook-step-${n}`),
        defaultStepTimeoutSecs: 600,
      })
      return { result, jobIds: newJobId.issued }
    }

    type Row = { source: SourceType; task: TaskHooks; want: string[] }
    const noOwn: TaskHooks = hooks('task')
    const rows: Row[] = [
      { source: 'api', task: taskHooks, want: ['_hook:task-suspended'] },
      { source: 'task', task: taskHooks, want: ['_hook:task-suspended'] },
      { source: 'api', task: noOwn, want: ['_hook:ws-suspended'] },
      { source: 'user', task: noOwn, want: ['_hook:ws-suspended'] },
      { source: 'trigger', task: noOwn, want: ['_hook:ws-suspended'] },
      { source: 'webhook', task: noOwn, want: ['_hook:ws-suspended'] },
      { source: 'rerun', task: noOwn, want: ['_hook:ws-suspended'] },
      { source: 'task', task: noOwn, want: [] },
      { source: 'hook', task: taskHooks, want: [] },
      { source: 'hook', task: noOwn, want: [] },
    ]
    for (const r of rows) {
      const label = r.task === taskHooks ? 'its own on_suspended' : 'no on_suspended of its own'
      it(`a ${r.source} job with ${label} -> ${JSON.stringify(r.want)}`, () => {
        const { result, jobIds } = plan({ sourceType: r.source, taskHooks: r.task })
        expect(result.problems).to.deep.equal([])
        expect(result.jobs.map((j) => j.taskName)).to.deep.equal(r.want)
        expect(jobIds).to.have.length(r.want.length)
      })
    }

    it('plans nothing when neither the task nor the workspace has on_suspended hooks', () => {
      const bare = workspaceOf({ actions: [notify], hooks: hooks('ws') })
      expect(plan({ taskHooks: noOwn, workspace: bare }).result).to.deep.equal({
        jobs: [],
        problems: [],
      })
    })

    it("gives the hook Strøm's on_suspended context and no more", () => {
      const own = { ...noHooks, onSuspended: [{ ...hook('notify'), input: { ctx: '{{ hook }}' } }] }
      const { result } = plan({ taskHooks: own })
      expect(result.problems).to.deep.equal([])
      expect(result.jobs[0]?.input).to.deep.equal({
        ctx: {
          workspace: 'default',
          task_name: 'release',
          job_id: JOB_ID,
          step_name: 'gate',
          message: 'Ship v2?',
          source_type: 'api',
          source_id: null,
        },
      })
      const withStatus = {
        ...noHooks,
        onSuspended: [{ ...hook('notify'), input: { s: '{{ hook.status }}' } }],
      }
      expect(plan({ taskHooks: withStatus }).result).to.deep.equal({
        jobs: [],
        problems: [
          "hook 'notify' input could not be rendered: s: template line 1, column 4: variable 'hook.status' is not defined",
        ],
      })
    })

    it('plans the job of a task hook with its checked input', () => {
      const own = {
        ...noHooks,
        onSuspended: [{ ...hook('report'), input: { summary: '{{ hook.step_name }} waits' } }],
      }
      const { result, jobIds } = plan({ taskHooks: own })
      expect(result.problems).to.deep.equal([])
      expect(jobIds).to.deep.equal([uuid(1)])
      expect(result.jobs.map((j) => [j.id, j.taskName, j.source, j.input])).to.deep.equal([
        [uuid(1), 'incident', { type: 'hook', id: JOB_ID }, { summary: 'gate waits' }],
      ])
    })
  })
})
