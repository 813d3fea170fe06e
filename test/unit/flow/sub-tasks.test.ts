import { expect } from 'chai'
import type { Job, StepRun } from '../../../src/flow/job.ts'
import { childOutcome, MAX_SUBTASK_DEPTH, planChildJob } from '../../../src/flow/sub-tasks.ts'
import type { JobStatus } from '../../../src/shared/statuses.ts'
import type { TaskDef, Workspace } from '../../../src/workspace/workspace.ts'
import {
  actionDef,
  actionSpec,
  inputField,
  JOB_ID,
  jobOf,
  NOW,
  sequence,
  stepDef,
  stepRun,
  taskDef,
  uuid,
  workspaceOf,
} from './builders.ts'

const childTask = (over: Partial<TaskDef> = {}): TaskDef =>
  taskDef('provision', [stepDef('create'), stepDef('verify', { dependsOn: ['create'] })], {
    declaresInput: true,
    input: [
      ['env', inputField({ required: true, options: ['dev', 'prod'] })],
      ['replicas', inputField({ type: 'integer', default: 2 })],
      ['token', inputField({ default: '{{ secret.TOKEN }}' })],
    ],
    ...over,
  })

function workspace(tasks: TaskDef[] = [childTask()]): Workspace {
  return workspaceOf({
    actions: [actionDef('echo'), actionDef('provision', { type: 'task', task: 'provision' })],
    tasks,
    secrets: { TOKEN: 'hunter22' },
  })
}

/** A ready `type: task` step running task `task`. */
const taskStep = (task: string | null, name = 'setup'): StepRun =>
  stepRun(name, 'ready', {
    actionName: 'provision',
    actionType: 'task',
    spec: { action: { ...actionSpec('provision'), type: 'task', task } },
  })

function plan(
  over: {
    job?: Partial<Job>
    step?: StepRun
    workspace?: Workspace
    input?: Record<string, unknown>
    jobTimeoutSecs?: number | null
  } = {},
) {
  const newJobId = sequence((n) => uuid(200 + n))
  const newStepId = sequence((n) => `child-step-${n}`)
  const result = planChildJob({
    job: jobOf(over.job),
    step: over.step ?? taskStep('provision'),
    workspace: over.workspace ?? workspace(),
    input: over.input ?? { env: 'prod' },
    now: NOW,
    clock: { now: () => NOW },
    newJobId,
    newStepId,
    defaults: { stepTimeoutSecs: 300, jobTimeoutSecs: over.jobTimeoutSecs ?? null },
  })
  return { result, jobIds: newJobId.issued, stepIds: newStepId.issued }
}

describe('flow/sub-tasks', () => {
  describe('planChildJob', () => {
    it("plans a job of the step's task, its input checked with defaults, under the parent", () => {
      const { result, jobIds, stepIds } = plan({ jobTimeoutSecs: 3600 })
      if (!result.ok) throw new Error(result.error)
      expect(jobIds).to.deep.equal([uuid(201)])
      expect(stepIds).to.deep.equal(['child-step-1', 'child-step-2'])
      const { steps, moves, ...job } = result.job
      expect(job).to.deep.equal({
        id: uuid(201),
        workspace: 'default',
        taskName: 'provision',
        mode: 'distributed',
        status: 'pending',
        source: { type: 'task', id: `${JOB_ID}/setup` },
        input: { env: 'prod', replicas: 2, token: 'hunter22' },
        rawInput: { env: 'prod' },
        revision: 'rev-1',
        fireKey: null,
        idempotencyKey: null,
        retryOfJobId: null,
        timeoutAt: new Date('2025-03-01T13:00:00.000Z'),
        createdAt: NOW,
        completedAt: null,
        parent: { jobId: JOB_ID, stepName: 'setup', depth: 1 },
      })
      expect(steps.map((s) => [s.id, s.name, s.status, s.dependsOn, s.readyAt])).to.deep.equal([
        ['child-step-1', 'create', 'ready', [], NOW],
        ['child-step-2', 'verify', 'pending', ['create'], null],
      ])
      expect(moves.map((m) => [m.name, m.event, m.to])).to.deep.equal([
        ['create', 'deps_met', 'ready'],
      ])
    })

    it("takes the child task's own timeout over the default", () => {
      const { result } = plan({
        workspace: workspace([childTask({ timeoutSecs: 600 })]),
        jobTimeoutSecs: 3600,
      })
      expect(result.ok && result.job.timeoutAt).to.deep.equal(new Date('2025-03-01T12:10:00.000Z'))
    })

    it('names a loop instance step in the source id', () => {
      const { result } = plan({ step: taskStep('provision', 'setup[3]') })
      expect(result.ok && [result.job.source, result.job.parent]).to.deep.equal([
        { type: 'task', id: `${JOB_ID}/setup[3]` },
        { jobId: JOB_ID, stepName: 'setup[3]', depth: 1 },
      ])
    })

    it('nests one level below the parent job', () => {
      const { result } = plan({ job: { id: uuid(5), depth: 4 } })
      expect(result.ok && result.job.parent).to.deep.equal({
        jobId: uuid(5),
        stepName: 'setup',
        depth: 5,
      })
    })

    it(`allows a child at depth ${MAX_SUBTASK_DEPTH} and no deeper`, () => {
      expect(MAX_SUBTASK_DEPTH).to.equal(10)
      const deepest = plan({ job: { depth: 9 } })
      expect(deepest.result.ok && deepest.result.job.parent?.depth).to.equal(10)
      const tooDeep = plan({ job: { depth: 10 } })
      expect(tooDeep.result).to.deep.equal({
        ok: false,
        error: "sub-task nesting is limited to 10 levels; task 'provision' would be level 11",
      })
      expect(tooDeep.jobIds).to.deep.equal([])
    })

    it('passes any object to a task that declares no input', () => {
      const open = childTask({ declaresInput: false, input: [] })
      const { result } = plan({ workspace: workspace([open]), input: { anything: [1, 2] } })
      expect(result.ok && [result.job.input, result.job.rawInput]).to.deep.equal([
        { anything: [1, 2] },
        { anything: [1, 2] },
      ])
    })

    type Row = { why: string; step?: StepRun; tasks?: TaskDef[]; input?: object; error: string }
    const rows: Row[] = [
      {
        why: 'a task missing from the workspace',
        step: taskStep('gone'),
        error: "task 'gone' not found in workspace 'default'",
      },
      {
        why: 'an action that names no task',
        step: taskStep(null),
        error: "task '' not found in workspace 'default'",
      },
      {
        why: 'an unavailable task',
        tasks: [
          childTask({ unavailable: "step 'x' uses docker, which Weir does not support yet" }),
        ],
        error:
          "task 'provision' is unavailable: step 'x' uses docker, which Weir does not support yet",
      },
      {
        why: 'a missing required field',
        input: {},
        error: "child task 'provision': invalid input: input.env: required field is missing",
      },
      {
        why: 'unknown and mistyped fields, every one named',
        input: { env: 'staging', replicas: '3', extra: true },
        error:
          "child task 'provision': invalid input: input.extra: unknown field; input.env: must be one of [dev, prod]; input.replicas: expected integer, got string",
      },
    ]
    for (const r of rows) {
      it(`refuses ${r.why}`, () => {
        const { result, jobIds, stepIds } = plan({
          ...(r.step ? { step: r.step } : {}),
          ...(r.tasks ? { workspace: workspace(r.tasks) } : {}),
          ...(r.input ? { input: r.input as Record<string, unknown> } : {}),
        })
        expect(result).to.deep.equal({ ok: false, error: r.error })
        expect([jobIds, stepIds]).to.deep.equal([[], []])
      })
    }
  })

  describe('childOutcome', () => {
    const id = uuid(9)
    type Row = {
      status: JobStatus
      output?: unknown
      error?: string | null
      want: ReturnType<typeof childOutcome>
    }
    const rows: Row[] = [
      { status: 'pending', want: null },
      { status: 'running', want: null },
      {
        status: 'completed',
        output: { verify: { ok: true } },
        want: { status: 'completed', output: { verify: { ok: true } }, error: null },
      },
      {
        status: 'completed',
        output: null,
        want: { status: 'completed', output: null, error: null },
      },
      {
        status: 'completed',
        output: undefined,
        want: { status: 'completed', output: null, error: null },
      },
      {
        status: 'failed',
        output: { partial: true },
        error: "Step 'create': Exit code: 1\nStderr: quota exceeded",
        want: {
          status: 'failed',
          output: null,
          error: `child job ${id} failed: Step 'create': Exit code: 1`,
        },
      },
      {
        status: 'failed',
        error: null,
        want: { status: 'failed', output: null, error: `child job ${id} failed: unknown error` },
      },
      {
        status: 'cancelled',
        want: { status: 'cancelled', output: null, error: `child job ${id} was cancelled` },
      },
    ]
    for (const r of rows) {
      const what = r.want ? `${r.want.status} (${JSON.stringify(r.want.error)})` : 'nothing yet'
      it(`a ${r.status} child with output ${JSON.stringify(r.output)} gives ${what}`, () => {
        const child = { id, status: r.status, output: r.output, errorMessage: r.error ?? null }
        expect(childOutcome(child)).to.deep.equal(r.want)
      })
    }
  })
})
