import { expect } from 'chai'
import { planJob, type PlanParams } from '../../../src/flow/plan-job.ts'
import type { StepEventType } from '../../../src/flow/state-machine.ts'
import type { JobStatus, StepStatus } from '../../../src/shared/statuses.ts'
import type { StepDef, TaskDef } from '../../../src/workspace/workspace.ts'
import {
  actionDef,
  NOW,
  retryPolicy,
  sequence,
  stepDef,
  taskDef,
  uuid,
  workspaceOf,
} from './builders.ts'

const ws = workspaceOf({
  actions: [actionDef('echo'), actionDef('deploy', { retry: retryPolicy(), tags: ['prod'] })],
  secrets: { REGION: 'eu' },
})

function plan(
  flow: StepDef[],
  over: Omit<Partial<PlanParams>, 'task'> & { task?: Partial<TaskDef> } = {},
) {
  const { task, ...rest } = over
  return planJob({
    jobId: uuid(7),
    newStepId: sequence((n) => `s${n}`),
    workspace: ws,
    task: taskDef('release', flow, task),
    input: { env: 'prod' },
    source: { type: 'api', id: null },
    now: NOW,
    defaultStepTimeoutSecs: 300,
    ...rest,
  })
}

const at = (secs: number) => new Date(NOW.getTime() + secs * 1000)

describe('flow/plan-job', () => {
  describe('planJob', () => {
    it('plans the steps in dependency order with the roots ready now', () => {
      const job = plan([
        stepDef('test', { dependsOn: ['build', 'lint'] }),
        stepDef('lint'),
        stepDef('build'),
      ])
      expect(job).to.include({
        id: uuid(7),
        workspace: 'default',
        taskName: 'release',
        mode: 'distributed',
        status: 'pending',
        revision: 'rev-1',
        idempotencyKey: null,
        retryOfJobId: null,
        timeoutAt: null,
        createdAt: NOW,
        completedAt: null,
      })
      expect(
        job.steps.map((s) => [s.id, s.position, s.name, s.status, s.readyAt, s.completedAt]),
      ).to.deep.equal([
        ['s1', 0, 'build', 'ready', NOW, null],
        ['s2', 1, 'lint', 'ready', NOW, null],
        ['s3', 2, 'test', 'pending', null, null],
      ])
      expect(job.moves.map((m) => [m.stepId, m.name, m.event, m.to, m.reason])).to.deep.equal([
        ['s1', 'build', 'deps_met', 'ready', null],
        ['s2', 'lint', 'deps_met', 'ready', null],
      ])
    })

    it('snapshots the action and the step settings in the spec', () => {
      const job = plan([
        stepDef('ship', {
          action: 'deploy',
          input: { region: '{{ secret.REGION }}' },
          timeoutSecs: 90,
          continueOnFailure: true,
        }),
        stepDef('again', { action: 'deploy', retry: retryPolicy({ maxAttempts: 5 }) }),
      ])
      const [again, ship] = job.steps
      expect(ship!.spec).to.deep.include({
        input: { region: '{{ secret.REGION }}' },
        inputIsLiteral: false,
        when: null,
        continueOnFailure: true,
        timeoutSecs: 90,
        retry: retryPolicy(),
        root: '/srv/workspace',
      })
      expect([ship!.actionName, ship!.actionType, ship!.runner, ship!.tags]).to.deep.equal([
        'deploy',
        'script',
        'local',
        ['prod'],
      ])
      expect([again!.spec.timeoutSecs, again!.spec.retry]).to.deep.equal([
        300,
        retryPolicy({ maxAttempts: 5 }),
      ])
    })

    type Row = {
      why: string
      flow: StepDef[]
      status: JobStatus
      completedAt: Date | null
      steps: Array<[name: string, status: StepStatus, error: string | null]>
      moves: Array<[name: string, event: StepEventType, reason: string | null]>
    }
    const rows: Row[] = [
      {
        why: 'a root when that is true makes the root ready',
        flow: [stepDef('a', { when: '{{ input.env == "prod" }}' })],
        status: 'pending',
        completedAt: null,
        steps: [['a', 'ready', null]],
        moves: [['a', 'deps_met', null]],
      },
      {
        why: 'a root when that is false skips it and completes a job with nothing left',
        flow: [
          stepDef('a', { when: '{{ input.env == "dev" }}' }),
          stepDef('b', { dependsOn: ['a'] }),
        ],
        status: 'completed',
        completedAt: NOW,
        steps: [
          ['a', 'skipped', null],
          ['b', 'skipped', null],
        ],
        moves: [
          ['a', 'skip', 'condition is false: {{ input.env == "dev" }}'],
          ['b', 'skip', 'all dependencies were skipped'],
        ],
      },
      {
        why: 'a root when that is false leaves the job pending while another root is ready',
        flow: [
          stepDef('a', { when: '{{ secret.REGION == "us" }}' }),
          stepDef('b'),
          stepDef('c', { dependsOn: ['a', 'b'] }),
        ],
        status: 'pending',
        completedAt: null,
        steps: [
          ['a', 'skipped', null],
          ['b', 'ready', null],
          ['c', 'pending', null],
        ],
        moves: [
          ['a', 'skip', 'condition is false: {{ secret.REGION == "us" }}'],
          ['b', 'deps_met', null],
        ],
      },
      {
        why: 'a root when that cannot render fails the step and the job at planning',
        flow: [stepDef('a', { when: '{{ input.missing.key }}' })],
        status: 'failed',
        completedAt: NOW,
        steps: [
          [
            'a',
            'failed',
            "when condition failed: template line 1, column 4: variable 'input.missing.key' is not defined",
          ],
        ],
        moves: [
          [
            'a',
            'condition_failed',
            "when condition failed: template line 1, column 4: variable 'input.missing.key' is not defined",
          ],
        ],
      },
    ]
    for (const r of rows) {
      it(r.why, () => {
        const job = plan(r.flow)
        expect([job.status, job.completedAt]).to.deep.equal([r.status, r.completedAt])
        expect(job.steps.map((s) => [s.name, s.status, s.errorMessage])).to.deep.equal(r.steps)
        expect(job.moves.map((m) => [m.name, m.event, m.reason])).to.deep.equal(r.moves)
        for (const s of job.steps) {
          const terminal = ['completed', 'failed', 'skipped', 'cancelled'].includes(s.status)
          expect(s.completedAt).to.deep.equal(terminal ? NOW : null)
          expect(s.readyAt).to.deep.equal(s.status === 'ready' ? NOW : null)
        }
      })
    }

    it('makes the roots claimable at notBefore when given', () => {
      const job = plan([stepDef('a'), stepDef('b', { dependsOn: ['a'] })], { notBefore: at(45) })
      expect(job.steps.map((s) => [s.name, s.readyAt])).to.deep.equal([
        ['a', at(45)],
        ['b', null],
      ])
    })

    const timeouts: Array<[string, number | null, number | null | undefined, Date | null]> = [
      ["the task's timeout", 600, 3600, at(600)],
      ['the default job timeout', null, 3600, at(3600)],
      ['no timeout when neither is set', null, null, null],
      ['no timeout when no default is given', null, undefined, null],
    ]
    for (const [why, task, fallback, want] of timeouts) {
      it(`times the job out by ${why}`, () => {
        const job = plan([stepDef('a')], {
          task: { timeoutSecs: task },
          defaultJobTimeoutSecs: fallback,
        })
        expect(job.timeoutAt).to.deep.equal(want)
      })
    }

    it('carries the source, input, keys and lineage it is given', () => {
      const job = plan([stepDef('a')], {
        source: { type: 'trigger', id: 'default/nightly' },
        rawInput: { env: 'prod', extra: 1 },
        fireKey: 'default/nightly@2025-03-01T12:00:00Z',
        idempotencyKey: 'k-1',
        retryOfJobId: uuid(3),
      })
      expect(job).to.deep.include({
        source: { type: 'trigger', id: 'default/nightly' },
        input: { env: 'prod' },
        rawInput: { env: 'prod', extra: 1 },
        fireKey: 'default/nightly@2025-03-01T12:00:00Z',
        idempotencyKey: 'k-1',
        retryOfJobId: uuid(3),
      })
    })

    it('refuses a step whose action is unknown', () => {
      expect(() => plan([stepDef('a', { action: 'gone' })])).to.throw(
        "step 'a' names unknown action 'gone'",
      )
    })
  })
})
