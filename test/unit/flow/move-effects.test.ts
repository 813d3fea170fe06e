import { expect } from 'chai'
import { AfterCommit } from '../../../src/flow/after-commit.ts'
import {
  announceJobMove,
  announceStepMove,
  errorOf,
  jobChangesOf,
  mergeChanges,
  moveJob,
  moveStep,
  serverChangeOf,
  statusChangeOf,
  stepFinishedEvent,
  type JobChanges,
  type JobMoveDetails,
  type StepAnnounceDetails,
  type StepStatusChange,
} from '../../../src/flow/move-effects.ts'
import type { JobEventType, StepEventType } from '../../../src/flow/state-machine.ts'
import type { DomainEvent } from '../../../src/shared/events.ts'
import type { JobStatus, StepStatus } from '../../../src/shared/statuses.ts'
import { EARLIER, JOB_ID, NOW } from './builders.ts'

const job = { id: JOB_ID, workspace: 'default', taskName: 'deploy' }
const who = { job_id: JOB_ID, workspace: 'default', task_name: 'deploy' }
const RETRY_AT = new Date('2025-03-01T12:00:30.000Z')

type Line = AfterCommit['lines'][number]
const out = (line: string): Line => ({ jobId: JOB_ID, line, stream: 'stdout' })
const err = (line: string): Line => ({ jobId: JOB_ID, line, stream: 'stderr' })

function finished(
  step: string,
  status: StepStatus,
  error: string | null,
  attempt = 1,
): DomainEvent<'step.finished'> {
  return {
    type: 'step.finished',
    data: { ...who, step_name: step, attempt, status, error_message: error },
  }
}

/** What an AfterCommit holds that these moves can touch. */
function collected(fx: AfterCommit) {
  return {
    lines: fx.lines,
    events: fx.events,
    wakeAt: fx.wakeAt,
    ready: fx.ready,
    ends: fx.ends,
    stops: fx.stops,
  }
}

describe('flow/move-effects', () => {
  describe('moveStep and moveJob', () => {
    it('carries the row of the table and the reason', () => {
      const move = moveStep(
        { id: 's1', name: 'test', attempt: 2, status: 'pending' },
        'skip',
        "dependency 'build' failed",
      )
      expect(move).to.deep.equal({
        stepId: 's1',
        name: 'test',
        attempt: 2,
        from: 'pending',
        event: 'skip',
        to: 'skipped',
        effects: ['close', 'announce_finished', 'log_finished'],
        reason: "dependency 'build' failed",
      })
      expect(moveJob({ id: JOB_ID, status: 'pending' }, 'start')).to.deep.equal({
        jobId: JOB_ID,
        from: 'pending',
        event: 'start',
        to: 'running',
        effects: ['mark_started', 'announce_started'],
      })
    })

    it('throws on an illegal move, naming the step or the job', () => {
      const step = { id: 's1', name: 'test', attempt: 1, status: 'completed' as const }
      expect(() => moveStep(step, 'claim')).to.throw(
        "step test: illegal step transition: 'claim' in status 'completed'",
      )
      expect(() => moveJob({ id: JOB_ID, status: 'failed' }, 'start')).to.throw(
        `job ${JOB_ID}: illegal job transition: 'start' in status 'failed'`,
      )
    })
  })

  describe('errorOf', () => {
    // [from, event, whether the step keeps the move's reason as its error]
    const rows: Array<[StepStatus, StepEventType, boolean]> = [
      ['pending', 'condition_failed', true],
      ['pending', 'job_timed_out', true],
      ['running', 'fail', true],
      ['running', 'stopped', true],
      ['pending', 'skip', false],
      ['pending', 'job_cancelled', false],
      ['running', 'retry', false],
      ['running', 'complete', false],
    ]
    for (const [from, event, keeps] of rows) {
      it(`${keeps ? 'keeps' : 'drops'} the reason for ${from} --${event}-->`, () => {
        const move = moveStep({ id: 's', name: 's', attempt: 1, status: from }, event, 'why')
        expect(errorOf(move)).to.equal(keeps ? 'why' : null)
      })
    }
  })

  describe('statusChangeOf', () => {
    type Row = {
      from: StepStatus
      event: StepEventType
      reason?: string
      want: StepStatusChange | null
    }
    const rows: Row[] = [
      {
        from: 'pending',
        event: 'deps_met',
        want: { stepId: 's1', from: 'pending', status: 'ready', errorMessage: null, readyAt: NOW },
      },
      {
        from: 'pending',
        event: 'skip',
        reason: "dependency 'a' failed",
        want: {
          stepId: 's1',
          from: 'pending',
          status: 'skipped',
          errorMessage: null,
          readyAt: null,
        },
      },
      {
        from: 'pending',
        event: 'condition_failed',
        reason: 'when condition failed: boom',
        want: {
          stepId: 's1',
          from: 'pending',
          status: 'failed',
          errorMessage: 'when condition failed: boom',
          readyAt: null,
        },
      },
      {
        from: 'ready',
        event: 'job_cancelled',
        want: {
          stepId: 's1',
          from: 'ready',
          status: 'cancelled',
          errorMessage: null,
          readyAt: null,
        },
      },
      {
        from: 'ready',
        event: 'job_timed_out',
        reason: 'job timed out',
        want: {
          stepId: 's1',
          from: 'ready',
          status: 'failed',
          errorMessage: 'job timed out',
          readyAt: null,
        },
      },
      { from: 'ready', event: 'claim', want: null },
      { from: 'running', event: 'complete', want: null },
      { from: 'running', event: 'fail', reason: 'Exit code: 1', want: null },
      { from: 'running', event: 'retry', reason: 'Exit code: 1', want: null },
      { from: 'running', event: 'job_cancelled', want: null },
    ]
    for (const r of rows) {
      const what = r.want ? `writes ${r.want.status}` : 'writes nothing'
      it(`${what} for ${r.from} --${r.event}-->`, () => {
        const move = moveStep(
          { id: 's1', name: 'a', attempt: 1, status: r.from },
          r.event,
          r.reason,
        )
        expect(statusChangeOf(move, NOW)).to.deep.equal(r.want)
      })
    }
  })

  describe('announceStepMove', () => {
    type Row = {
      why: string
      from: StepStatus
      event: StepEventType
      reason?: string
      attempt?: number
      details?: StepAnnounceDetails
      want: Partial<ReturnType<typeof collected>>
    }
    const rows: Row[] = [
      {
        why: 'a claim announces the start on the worker',
        from: 'ready',
        event: 'claim',
        attempt: 2,
        details: { worker: { id: 'w-1', name: 'builder-1' } },
        want: {
          events: [
            {
              type: 'step.started',
              data: { ...who, step_name: 'build', attempt: 2, worker_id: 'w-1' },
            },
          ],
          lines: [out('step build started on worker builder-1 (attempt 2)')],
        },
      },
      {
        why: 'a claim without a known worker says so',
        from: 'ready',
        event: 'claim',
        want: {
          events: [
            {
              type: 'step.started',
              data: { ...who, step_name: 'build', attempt: 1, worker_id: null },
            },
          ],
          lines: [out('step build started on worker unknown (attempt 1)')],
        },
      },
      {
        why: 'a completed attempt logs its exit code on stdout',
        from: 'running',
        event: 'complete',
        details: { exitCode: 0 },
        want: {
          events: [finished('build', 'completed', null)],
          lines: [out('step build completed (exit code 0)')],
        },
      },
      {
        why: 'a failed attempt logs the first line of its error on stderr',
        from: 'running',
        event: 'fail',
        reason: 'Exit code: 2\nStderr: no space left',
        details: { exitCode: 2 },
        want: {
          events: [finished('build', 'failed', 'Exit code: 2\nStderr: no space left')],
          lines: [err('step build failed: Exit code: 2')],
        },
      },
      {
        why: 'a retry announces the next attempt and wakes claimers at the retry time',
        from: 'running',
        event: 'retry',
        reason: 'Exit code: 1\nStderr: flaky',
        details: { retryAt: RETRY_AT, retryDelayMs: 30_000, maxAttempts: 3 },
        want: {
          events: [
            {
              type: 'step.retrying',
              data: {
                ...who,
                step_name: 'build',
                attempt: 1,
                error_message: 'Exit code: 1\nStderr: flaky',
                retry_at: '2025-03-01T12:00:30.000Z',
              },
            },
          ],
          lines: [err('step build failed (attempt 1/3): Exit code: 1; retrying in 30s')],
          wakeAt: [RETRY_AT],
          ready: false,
        },
      },
      {
        why: 'a retry delay is shown to a tenth of a second',
        from: 'running',
        event: 'retry',
        reason: 'Exit code: 1',
        attempt: 2,
        details: { retryAt: RETRY_AT, retryDelayMs: 1_250, maxAttempts: 5 },
        want: {
          events: [
            {
              type: 'step.retrying',
              data: {
                ...who,
                step_name: 'build',
                attempt: 2,
                error_message: 'Exit code: 1',
                retry_at: '2025-03-01T12:00:30.000Z',
              },
            },
          ],
          lines: [err('step build failed (attempt 2/5): Exit code: 1; retrying in 1.3s')],
          wakeAt: [RETRY_AT],
        },
      },
      {
        why: 'a stopped attempt is cancelled with its error in the event',
        from: 'running',
        event: 'stopped',
        reason: 'killed by signal SIGTERM',
        want: {
          events: [finished('build', 'cancelled', 'killed by signal SIGTERM')],
          lines: [out('step build cancelled')],
        },
      },
      {
        why: 'a step made ready wakes claimers now, with no line or event',
        from: 'pending',
        event: 'deps_met',
        want: { events: [], lines: [], wakeAt: [], ready: true },
      },
      {
        why: 'a skip logs its reason',
        from: 'pending',
        event: 'skip',
        reason: "dependency 'test' failed",
        want: {
          events: [finished('build', 'skipped', null)],
          lines: [out("step build skipped: dependency 'test' failed")],
        },
      },
      {
        why: 'a skip without a reason logs none',
        from: 'pending',
        event: 'skip',
        want: { events: [finished('build', 'skipped', null)], lines: [out('step build skipped')] },
      },
      {
        why: 'a failed when fails the step on stderr',
        from: 'pending',
        event: 'condition_failed',
        reason: "when condition failed: variable 'x' is not defined",
        want: {
          events: [
            finished('build', 'failed', "when condition failed: variable 'x' is not defined"),
          ],
          lines: [err("step build failed: when condition failed: variable 'x' is not defined")],
        },
      },
      {
        why: 'a waiting step of a cancelled job is announced finished without a line',
        from: 'pending',
        event: 'job_cancelled',
        want: { events: [finished('build', 'cancelled', null)], lines: [] },
      },
      {
        why: 'a waiting step of a timed-out job fails with `job timed out`, without a line',
        from: 'ready',
        event: 'job_timed_out',
        reason: 'job timed out',
        want: { events: [finished('build', 'failed', 'job timed out')], lines: [] },
      },
      {
        why: 'a running step of a cancelled job announces nothing until the worker stops it',
        from: 'running',
        event: 'job_cancelled',
        want: { events: [], lines: [], wakeAt: [], ready: false, stops: [] },
      },
    ]
    for (const r of rows) {
      it(r.why, () => {
        const fx = new AfterCommit()
        const step = { id: 's1', name: 'build', attempt: r.attempt ?? 1, status: r.from }
        announceStepMove(fx, job, moveStep(step, r.event, r.reason ?? null), r.details)
        const want = { lines: [], events: [], wakeAt: [], ready: false, ends: [], stops: [] }
        expect(collected(fx)).to.deep.equal({ ...want, ...r.want })
      })
    }

    it('builds step.finished for a step that never ran', () => {
      expect(
        stepFinishedEvent(job, { name: 'deploy-eu', attempt: 1 }, 'skipped', null),
      ).to.deep.equal(finished('deploy-eu', 'skipped', null))
    })
  })

  describe('mergeChanges', () => {
    const change = (
      stepId: string,
      from: StepStatus,
      status: StepStatus,
      over: Partial<StepStatusChange> = {},
    ): StepStatusChange => ({ stepId, from, status, errorMessage: null, readyAt: null, ...over })
    type Row = { why: string; changes: StepStatusChange[]; want: StepStatusChange[] }
    const rows: Row[] = [
      { why: 'no changes', changes: [], want: [] },
      {
        why: 'one change per step, kept in order',
        changes: [
          change('b', 'pending', 'ready', { readyAt: NOW }),
          change('a', 'pending', 'skipped'),
        ],
        want: [
          change('b', 'pending', 'ready', { readyAt: NOW }),
          change('a', 'pending', 'skipped'),
        ],
      },
      {
        why: 'a task step readied and started: fenced on pending, running, with the child',
        changes: [
          change('t', 'pending', 'ready', { readyAt: NOW }),
          change('t', 'ready', 'running', {
            startedAt: NOW,
            childJobId: 'child-1',
            input: { env: 'prod' },
          }),
        ],
        want: [
          change('t', 'pending', 'running', {
            startedAt: NOW,
            childJobId: 'child-1',
            input: { env: 'prod' },
          }),
        ],
      },
      {
        why: 'three moves of one step: the first from, the last status and error, every field',
        changes: [
          change('l', 'pending', 'ready', { readyAt: NOW }),
          change('l', 'ready', 'running', { startedAt: NOW }),
          change('l', 'running', 'failed', { errorMessage: 'for_each loop failed' }),
        ],
        want: [
          change('l', 'pending', 'failed', {
            startedAt: NOW,
            errorMessage: 'for_each loop failed',
          }),
        ],
      },
      {
        why: 'a later move of one step merged into the place of its first',
        changes: [
          change('a', 'pending', 'ready', { readyAt: NOW }),
          change('b', 'pending', 'skipped'),
          change('a', 'ready', 'suspended', {
            suspendedAt: NOW,
            output: { approval_message: 'ok?' },
          }),
        ],
        want: [
          change('a', 'pending', 'suspended', {
            suspendedAt: NOW,
            output: { approval_message: 'ok?' },
          }),
          change('b', 'pending', 'skipped'),
        ],
      },
    ]
    for (const r of rows) {
      it(`merges ${r.why}`, () => {
        expect(mergeChanges(r.changes)).to.deep.equal(r.want)
      })
    }

    it('leaves its input as it was', () => {
      const first = change('t', 'pending', 'ready', { readyAt: NOW })
      const changes = [first, change('t', 'ready', 'running', { startedAt: NOW })]
      mergeChanges(changes)
      expect(changes[0]).to.equal(first)
      expect(first).to.deep.equal(change('t', 'pending', 'ready', { readyAt: NOW }))
    })
  })

  describe('serverChangeOf', () => {
    const base = { stepId: 's1', errorMessage: null, readyAt: null }
    type Row = {
      from: StepStatus
      event: StepEventType
      reason?: string
      output?: unknown
      attempt?: number
      extra?: Partial<StepStatusChange>
      want: StepStatusChange
    }
    const rows: Row[] = [
      {
        from: 'ready',
        event: 'expand',
        want: { ...base, from: 'ready', status: 'running', startedAt: NOW },
      },
      {
        from: 'ready',
        event: 'start_child',
        extra: { childJobId: 'child-1', input: { env: 'prod' } },
        want: {
          ...base,
          from: 'ready',
          status: 'running',
          startedAt: NOW,
          childJobId: 'child-1',
          input: { env: 'prod' },
        },
      },
      {
        from: 'ready',
        event: 'suspend',
        output: { approval_message: 'ok?' },
        extra: {
          suspendedAt: NOW,
          deadlineAt: RETRY_AT,
          output: { approval_message: 'ok?' },
          input: {},
        },
        want: {
          ...base,
          from: 'ready',
          status: 'suspended',
          startedAt: NOW,
          suspendedAt: NOW,
          deadlineAt: RETRY_AT,
          output: { approval_message: 'ok?' },
          input: {},
        },
      },
      {
        from: 'ready',
        event: 'skip',
        reason: 'for_each list is empty',
        want: { ...base, from: 'ready', status: 'skipped' },
      },
      {
        from: 'ready',
        event: 'dispatch_failed',
        reason: "task 'gone' not found in workspace 'default'",
        want: {
          ...base,
          from: 'ready',
          status: 'failed',
          errorMessage: "task 'gone' not found in workspace 'default'",
        },
      },
      {
        from: 'running',
        event: 'complete',
        output: ['a', null],
        want: { ...base, from: 'running', status: 'completed', output: ['a', null] },
      },
      {
        from: 'running',
        event: 'fail',
        reason: 'for_each loop failed: instance [1] failed',
        want: {
          ...base,
          from: 'running',
          status: 'failed',
          errorMessage: 'for_each loop failed: instance [1] failed',
        },
      },
      {
        from: 'running',
        event: 'stopped',
        want: { ...base, from: 'running', status: 'cancelled' },
      },
      {
        from: 'running',
        event: 'stopped',
        reason: 'child job x was cancelled',
        want: {
          ...base,
          from: 'running',
          status: 'cancelled',
          errorMessage: 'child job x was cancelled',
        },
      },
      {
        from: 'running',
        event: 'retry',
        reason: 'child job x failed: boom',
        attempt: 2,
        want: {
          ...base,
          from: 'running',
          status: 'ready',
          errorMessage: 'child job x failed: boom',
          readyAt: NOW,
          attempt: 3,
        },
      },
      {
        from: 'running',
        event: 'retry',
        reason: 'boom',
        extra: { readyAt: RETRY_AT },
        want: {
          ...base,
          from: 'running',
          status: 'ready',
          errorMessage: 'boom',
          readyAt: RETRY_AT,
          attempt: 2,
        },
      },
      {
        from: 'suspended',
        event: 'approve',
        output: { approved: true },
        want: { ...base, from: 'suspended', status: 'completed', output: { approved: true } },
      },
      {
        from: 'suspended',
        event: 'reject',
        reason: 'not now',
        output: { approved: false },
        want: {
          ...base,
          from: 'suspended',
          status: 'failed',
          errorMessage: 'not now',
          output: { approved: false },
        },
      },
      {
        from: 'suspended',
        event: 'approval_timed_out',
        reason: 'approval timed out',
        want: {
          ...base,
          from: 'suspended',
          status: 'failed',
          errorMessage: 'approval timed out',
        },
      },
    ]
    for (const r of rows) {
      const label = `${r.from} --${r.event}--> ${r.want.status}${r.extra ? ' with extra fields' : ''}`
      it(`writes ${label}`, () => {
        const step = { id: 's1', name: 'a', attempt: r.attempt ?? 1, status: r.from }
        const move = moveStep(step, r.event, r.reason ?? null, r.output)
        expect(serverChangeOf(move, NOW, r.extra)).to.deep.equal(r.want)
      })
    }
  })

  describe('announceStepMove: steps the server runs', () => {
    type Row = {
      why: string
      from: StepStatus
      event: StepEventType
      reason?: string
      output?: unknown
      details?: StepAnnounceDetails
      want: Partial<ReturnType<typeof collected>> & { childEnds?: unknown[] }
    }
    const started: DomainEvent = {
      type: 'step.started',
      data: { ...who, step_name: 'fan', attempt: 1, worker_id: null },
    }
    const rows: Row[] = [
      {
        why: 'an expanded loop says how many instances it runs',
        from: 'ready',
        event: 'expand',
        details: { instances: 3 },
        want: { events: [started], lines: [out('step fan runs as a loop of 3 instances')] },
      },
      {
        why: 'a loop of one instance says so in the singular',
        from: 'ready',
        event: 'expand',
        details: { instances: 1 },
        want: { events: [started], lines: [out('step fan runs as a loop of 1 instance')] },
      },
      {
        why: 'a task step names its child job and task',
        from: 'ready',
        event: 'start_child',
        details: { child: { id: 'child-1', task: 'provision' } },
        want: {
          events: [started],
          lines: [out('step fan started child job child-1 (task provision)')],
        },
      },
      {
        why: 'a task step with no known child says unknown',
        from: 'ready',
        event: 'start_child',
        want: {
          events: [started],
          lines: [out('step fan started child job unknown (task unknown)')],
        },
      },
      {
        why: 'a suspended approval announces its whole message and logs its first line',
        from: 'ready',
        event: 'suspend',
        output: { approval_message: 'Ship v2?\nChanges: 3 commits' },
        want: {
          events: [
            {
              type: 'step.suspended',
              data: { ...who, step_name: 'fan', message: 'Ship v2?\nChanges: 3 commits' },
            },
          ],
          lines: [out('step fan waits for an approval: Ship v2?')],
        },
      },
      {
        why: 'a suspended approval without a message announces an empty one',
        from: 'ready',
        event: 'suspend',
        want: {
          events: [{ type: 'step.suspended', data: { ...who, step_name: 'fan', message: '' } }],
          lines: [out('step fan waits for an approval: ')],
        },
      },
      {
        why: 'an approval is logged as approved',
        from: 'suspended',
        event: 'approve',
        output: { approved: true },
        want: { events: [finished('fan', 'completed', null)], lines: [out('step fan approved')] },
      },
      {
        why: 'a rejection logs the first line of its reason on stderr',
        from: 'suspended',
        event: 'reject',
        reason: 'not during the freeze\nsee the calendar',
        want: {
          events: [finished('fan', 'failed', 'not during the freeze\nsee the calendar')],
          lines: [err('step fan rejected: not during the freeze')],
        },
      },
      {
        why: 'an approval that timed out fails',
        from: 'suspended',
        event: 'approval_timed_out',
        reason: 'approval timed out',
        want: {
          events: [finished('fan', 'failed', 'approval timed out')],
          lines: [err('step fan failed: approval timed out')],
        },
      },
      {
        why: 'a step the server could not start fails with why',
        from: 'ready',
        event: 'dispatch_failed',
        reason: 'for_each must be a list, got a number',
        want: {
          events: [finished('fan', 'failed', 'for_each must be a list, got a number')],
          lines: [err('step fan failed: for_each must be a list, got a number')],
        },
      },
      {
        why: 'an empty loop is skipped with its reason',
        from: 'ready',
        event: 'skip',
        reason: 'for_each list is empty',
        want: {
          events: [finished('fan', 'skipped', null)],
          lines: [out('step fan skipped: for_each list is empty')],
        },
      },
      {
        why: 'a loop that ends completes without an exit code',
        from: 'running',
        event: 'complete',
        output: ['a'],
        want: { events: [finished('fan', 'completed', null)], lines: [out('step fan completed')] },
      },
    ]
    for (const r of rows) {
      it(r.why, () => {
        const fx = new AfterCommit()
        const step = { id: 's1', name: 'fan', attempt: 1, status: r.from }
        announceStepMove(fx, job, moveStep(step, r.event, r.reason ?? null, r.output), r.details)
        const want = {
          lines: [],
          events: [],
          wakeAt: [],
          ready: false,
          ends: [],
          stops: [],
          childEnds: [],
        }
        expect({ ...collected(fx), childEnds: fx.childEnds }).to.deep.equal({ ...want, ...r.want })
      })
    }
  })

  describe('jobChangesOf', () => {
    type Row = {
      why: string
      from: JobStatus
      event: JobEventType
      details?: Omit<JobMoveDetails, 'now'>
      want: JobChanges
    }
    const rows: Row[] = [
      {
        why: 'start sets running and started_at',
        from: 'pending',
        event: 'start',
        want: { status: 'running', startedAt: NOW },
      },
      {
        why: 'a first cancel request records when',
        from: 'running',
        event: 'request_cancel',
        details: { cancelRequestedAt: null, stopping: 1 },
        want: { cancelRequestedAt: NOW },
      },
      {
        why: 'a repeated cancel request writes nothing',
        from: 'running',
        event: 'request_cancel',
        details: { cancelRequestedAt: EARLIER, stopping: 1 },
        want: {},
      },
      {
        why: 'a timeout keeps the status and sets the error',
        from: 'pending',
        event: 'time_out',
        want: { errorMessage: 'job timed out' },
      },
      {
        why: 'complete concludes with the output and no error',
        from: 'running',
        event: 'complete',
        details: { output: { deploy: { url: 'https://x' } }, startedAt: EARLIER },
        want: {
          status: 'completed',
          completedAt: NOW,
          output: { deploy: { url: 'https://x' } },
          errorMessage: null,
        },
      },
      {
        why: 'fail concludes with the error message and a null output',
        from: 'running',
        event: 'fail',
        details: { errorMessage: "Step 'build': Exit code: 1" },
        want: {
          status: 'failed',
          completedAt: NOW,
          output: null,
          errorMessage: "Step 'build': Exit code: 1",
        },
      },
      {
        why: 'stopped concludes a pending job as cancelled',
        from: 'pending',
        event: 'stopped',
        want: { status: 'cancelled', completedAt: NOW, output: null, errorMessage: null },
      },
    ]
    for (const r of rows) {
      it(r.why, () => {
        const move = moveJob({ id: JOB_ID, status: r.from }, r.event)
        expect(jobChangesOf(move, { now: NOW, ...r.details })).to.deep.equal(r.want)
      })
    }
  })

  describe('announceJobMove', () => {
    type Row = {
      why: string
      from: JobStatus
      event: JobEventType
      details?: Omit<JobMoveDetails, 'now'>
      want: Partial<ReturnType<typeof collected>>
    }
    const jobFinished = (status: JobStatus, startedAt: string | null): DomainEvent => ({
      type: 'job.finished',
      data: { ...who, status, started_at: startedAt, completed_at: '2025-03-01T12:00:00.000Z' },
    })
    const rows: Row[] = [
      {
        why: 'start announces job.started',
        from: 'pending',
        event: 'start',
        want: { events: [{ type: 'job.started', data: { ...who, status: 'running' } }] },
      },
      {
        why: 'complete announces job.finished and ends the log',
        from: 'running',
        event: 'complete',
        details: { startedAt: EARLIER, errorMessage: "Step 'probe': tolerated" },
        want: {
          events: [jobFinished('completed', '2025-03-01T11:59:00.000Z')],
          ends: [{ jobId: JOB_ID, status: 'completed', line: 'job completed' }],
        },
      },
      {
        why: 'fail ends the log with the first line of the error',
        from: 'running',
        event: 'fail',
        details: { startedAt: EARLIER, errorMessage: "Step 'parse': Exit code: 1\nStderr: bad" },
        want: {
          events: [jobFinished('failed', '2025-03-01T11:59:00.000Z')],
          ends: [
            { jobId: JOB_ID, status: 'failed', line: "job failed: Step 'parse': Exit code: 1" },
          ],
        },
      },
      {
        why: 'fail without an error message ends the log plainly',
        from: 'pending',
        event: 'fail',
        details: { startedAt: null, errorMessage: null },
        want: {
          events: [jobFinished('failed', null)],
          ends: [{ jobId: JOB_ID, status: 'failed', line: 'job failed' }],
        },
      },
      {
        why: 'stopped ends a job that never ran as cancelled',
        from: 'pending',
        event: 'stopped',
        details: { startedAt: null },
        want: {
          events: [jobFinished('cancelled', null)],
          ends: [{ jobId: JOB_ID, status: 'cancelled', line: 'job cancelled' }],
        },
      },
      {
        why: 'a first cancel request is announced with the number of steps asked to stop',
        from: 'running',
        event: 'request_cancel',
        details: { cancelRequestedAt: null, stopping: 2 },
        want: {
          events: [{ type: 'job.cancel_requested', data: { ...who, status: 'running' } }],
          lines: [out('cancel requested; 2 running steps asked to stop')],
        },
      },
      {
        why: 'a first cancel request of a pending job says one step in the singular',
        from: 'pending',
        event: 'request_cancel',
        details: { cancelRequestedAt: null, stopping: 1 },
        want: {
          events: [{ type: 'job.cancel_requested', data: { ...who, status: 'pending' } }],
          lines: [out('cancel requested; 1 running step asked to stop')],
        },
      },
      {
        why: 'a repeated cancel request announces nothing',
        from: 'running',
        event: 'request_cancel',
        details: { cancelRequestedAt: EARLIER, stopping: 2 },
        want: { events: [], lines: [] },
      },
      {
        why: 'a timeout logs `job timed out` on stderr',
        from: 'running',
        event: 'time_out',
        want: { events: [], lines: [err('job timed out')] },
      },
    ]
    for (const r of rows) {
      it(r.why, () => {
        const fx = new AfterCommit()
        announceJobMove(fx, job, moveJob({ id: JOB_ID, status: r.from }, r.event), {
          now: NOW,
          ...r.details,
        })
        const want = { lines: [], events: [], wakeAt: [], ready: false, ends: [], stops: [] }
        expect(collected(fx)).to.deep.equal({ ...want, ...r.want })
      })
    }
  })

  describe('announceJobMove: notify_parent', () => {
    const parent = 'parent-job'
    type Row = {
      from: JobStatus
      event: JobEventType
      parentJobId: string | null | undefined
      want: AfterCommit['childEnds']
    }
    const ends = [{ parentJobId: parent, childJobId: JOB_ID }]
    const rows: Row[] = [
      { from: 'running', event: 'complete', parentJobId: parent, want: ends },
      { from: 'running', event: 'fail', parentJobId: parent, want: ends },
      { from: 'running', event: 'stopped', parentJobId: parent, want: ends },
      { from: 'pending', event: 'fail', parentJobId: parent, want: ends },
      { from: 'running', event: 'complete', parentJobId: null, want: [] },
      { from: 'running', event: 'fail', parentJobId: undefined, want: [] },
      { from: 'pending', event: 'start', parentJobId: parent, want: [] },
      { from: 'running', event: 'request_cancel', parentJobId: parent, want: [] },
      { from: 'running', event: 'time_out', parentJobId: parent, want: [] },
    ]
    for (const r of rows) {
      const kind = r.parentJobId ? 'a child job' : 'a top-level job'
      const what = r.want.length > 0 ? 'tells its parent' : 'tells no parent'
      it(`${kind} that moves ${r.from} --${r.event}--> ${what}`, () => {
        const fx = new AfterCommit()
        const d: JobMoveDetails = {
          now: NOW,
          ...(r.parentJobId !== undefined ? { parentJobId: r.parentJobId } : {}),
        }
        announceJobMove(fx, job, moveJob({ id: JOB_ID, status: r.from }, r.event), d)
        expect(fx.childEnds).to.deep.equal(r.want)
      })
    }
  })
})
