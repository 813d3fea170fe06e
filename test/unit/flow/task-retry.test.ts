import { expect } from 'chai'
import type { Job } from '../../../src/flow/job.ts'
import { planTaskRetry } from '../../../src/flow/task-retry.ts'
import type { TaskDef, Workspace } from '../../../src/workspace/workspace.ts'
import {
  jobOf,
  NOW,
  retryPolicy,
  sequence,
  stepDef,
  taskDef,
  uuid,
  workspaceOf,
} from './builders.ts'

const FIRST = uuid(1)
const SECOND = uuid(2)

const deploy = taskDef('deploy', [stepDef('build'), stepDef('ship', { dependsOn: ['build'] })], {
  retry: retryPolicy({ maxAttempts: 3, delaySecs: 30, backoff: 'exponential' }),
})

function failedJob(over: Partial<Job> = {}): Job {
  return jobOf({
    id: FIRST,
    status: 'failed',
    sourceType: 'trigger',
    sourceId: 'default/nightly',
    input: { env: 'prod' },
    errorMessage: "Step 'build': Exit code: 1",
    ...over,
  })
}

function plan(job: Job, task: TaskDef = deploy, ws?: Workspace) {
  return planTaskRetry({
    job,
    workspace: ws ?? workspaceOf({ tasks: [task] }),
    now: NOW,
    newJobId: () => uuid(100),
    newStepId: sequence((n) => `retry-step-${n}`),
    defaultStepTimeoutSecs: 300,
    defaultJobTimeoutSecs: 3600,
  })
}

const at = (secs: number) => new Date(NOW.getTime() + secs * 1000)

describe('flow/task-retry', () => {
  describe('planTaskRetry', () => {
    it('plans attempt 2 of a first failure, keyed by the first job and delayed', () => {
      const p = plan(failedJob())!
      expect({
        attempt: p.attempt,
        maxAttempts: p.maxAttempts,
        delayMs: p.delayMs,
      }).to.deep.equal({
        attempt: 2,
        maxAttempts: 3,
        delayMs: 30_000,
      })
      expect(p.job).to.include({
        id: uuid(100),
        taskName: 'deploy',
        status: 'pending',
        idempotencyKey: `task-retry:${FIRST}:2`,
        retryOfJobId: FIRST,
        createdAt: NOW,
      })
      expect(p.job.source).to.deep.equal({ type: 'trigger', id: 'default/nightly' })
      expect(p.job.input).to.deep.equal({ env: 'prod' })
      expect(p.job.timeoutAt).to.deep.equal(at(3600))
      expect(p.job.steps.map((s) => [s.id, s.name, s.status, s.readyAt])).to.deep.equal([
        ['retry-step-1', 'build', 'ready', at(30)],
        ['retry-step-2', 'ship', 'pending', null],
      ])
    })

    it('keeps the first job id in the key of a later attempt, with the next backoff', () => {
      const p = plan(failedJob({ id: SECOND, idempotencyKey: `task-retry:${FIRST}:2` }))!
      expect([p.attempt, p.delayMs]).to.deep.equal([3, 60_000])
      expect(p.job).to.include({
        idempotencyKey: `task-retry:${FIRST}:3`,
        retryOfJobId: SECOND,
      })
      expect(p.job.steps[0]!.readyAt).to.deep.equal(at(60))
    })

    it('treats a job created with its own idempotency key as the first attempt', () => {
      const p = plan(failedJob({ idempotencyKey: 'deploy-2025-03-01' }))!
      expect([p.attempt, p.job.idempotencyKey]).to.deep.equal([2, `task-retry:${FIRST}:2`])
    })

    const none: Array<{ why: string; job: Job; task?: TaskDef; ws?: Workspace }> = [
      {
        why: 'the attempts are used up',
        job: failedJob({ id: SECOND, idempotencyKey: `task-retry:${FIRST}:3` }),
      },
      {
        why: 'the task allows a single run',
        job: failedJob(),
        task: { ...deploy, retry: retryPolicy({ maxAttempts: 1 }) },
      },
      { why: 'the job is a hook job', job: failedJob({ sourceType: 'hook', sourceId: SECOND }) },
      { why: 'the task has no retry', job: failedJob(), task: { ...deploy, retry: null } },
      {
        why: 'the task became unavailable',
        job: failedJob(),
        task: { ...deploy, unavailable: "action type 'docker' is not supported yet" },
      },
      { why: 'the task is gone', job: failedJob(), ws: workspaceOf() },
    ]
    for (const r of none) {
      it(`plans nothing when ${r.why}`, () => {
        expect(plan(r.job, r.task, r.ws)).to.equal(null)
      })
    }
  })
})
