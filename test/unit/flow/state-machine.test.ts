import { expect } from 'chai'
import {
  JOB_EVENTS,
  JOB_MACHINE,
  jobTransition,
  STEP_EVENTS,
  STEP_MACHINE,
  stepTransition,
  type JobEffect,
  type JobEventType,
  type StepEffect,
  type StepEventType,
} from '../../../src/flow/state-machine.ts'
import {
  JOB_STATUSES,
  STEP_STATUSES,
  type JobStatus,
  type StepStatus,
} from '../../../src/shared/statuses.ts'

/**
 * The legal step moves of API.md §2.2, written out independently of the table: each must be a
 * row with exactly these effects, and every other (status, event) pair must be refused.
 */
const STEP_ROWS: Array<{
  from: StepStatus
  event: StepEventType
  to: StepStatus
  effects: StepEffect[]
  why: string
}> = [
  {
    from: 'pending',
    event: 'deps_met',
    to: 'ready',
    effects: ['claimable', 'wake'],
    why: 'dependencies settled, when true',
  },
  {
    from: 'pending',
    event: 'skip',
    to: 'skipped',
    effects: ['close', 'announce_finished', 'log_finished'],
    why: 'a dependency failed, or when false',
  },
  {
    from: 'pending',
    event: 'condition_failed',
    to: 'failed',
    effects: ['close', 'announce_finished', 'log_finished'],
    why: 'when not evaluable',
  },
  {
    from: 'pending',
    event: 'job_cancelled',
    to: 'cancelled',
    effects: ['close', 'announce_finished'],
    why: 'job cancelled',
  },
  {
    from: 'pending',
    event: 'job_timed_out',
    to: 'failed',
    effects: ['close', 'announce_finished'],
    why: 'job timed out',
  },
  {
    from: 'ready',
    event: 'claim',
    to: 'running',
    effects: ['lease', 'announce_started'],
    why: 'worker claims with a lease',
  },
  {
    from: 'ready',
    event: 'job_cancelled',
    to: 'cancelled',
    effects: ['close', 'announce_finished'],
    why: 'job cancelled',
  },
  {
    from: 'ready',
    event: 'job_timed_out',
    to: 'failed',
    effects: ['close', 'announce_finished'],
    why: 'job timed out',
  },
  {
    from: 'running',
    event: 'complete',
    to: 'completed',
    effects: ['end_attempt', 'announce_finished', 'log_finished'],
    why: 'worker reports success',
  },
  {
    from: 'running',
    event: 'fail',
    to: 'failed',
    effects: ['end_attempt', 'announce_finished', 'log_finished'],
    why: 'worker reports failure, or its lease is lost',
  },
  {
    from: 'running',
    event: 'retry',
    to: 'ready',
    effects: ['next_attempt', 'announce_retrying', 'wake'],
    why: 'retry policy allows another attempt',
  },
  {
    from: 'running',
    event: 'stopped',
    to: 'cancelled',
    effects: ['end_attempt', 'announce_finished', 'log_finished'],
    why: 'worker acknowledged the cancel',
  },
  {
    from: 'running',
    event: 'job_cancelled',
    to: 'running',
    effects: ['request_stop'],
    why: 'cancel requested, awaiting the worker',
  },
  {
    from: 'running',
    event: 'job_timed_out',
    to: 'running',
    effects: ['request_stop'],
    why: 'timeout, awaiting the worker',
  },
  {
    from: 'ready',
    event: 'skip',
    to: 'skipped',
    effects: ['close', 'announce_finished', 'log_finished'],
    why: 'a loop over an empty list',
  },
  {
    from: 'ready',
    event: 'expand',
    to: 'running',
    effects: ['start_server', 'expand_loop', 'announce_started'],
    why: 'a loop step becomes its instances',
  },
  {
    from: 'ready',
    event: 'start_child',
    to: 'running',
    effects: ['start_server', 'start_child', 'announce_started'],
    why: 'a task step starts its child job',
  },
  {
    from: 'ready',
    event: 'suspend',
    to: 'suspended',
    effects: ['start_server', 'mark_suspended', 'announce_suspended'],
    why: 'an approval waits for a person',
  },
  {
    from: 'ready',
    event: 'dispatch_failed',
    to: 'failed',
    effects: ['close', 'announce_finished', 'log_finished'],
    why: 'the server could not start it',
  },
  {
    from: 'suspended',
    event: 'approve',
    to: 'completed',
    effects: ['record_result', 'announce_finished', 'log_finished'],
    why: 'approved',
  },
  {
    from: 'suspended',
    event: 'reject',
    to: 'failed',
    effects: ['record_result', 'announce_finished', 'log_finished'],
    why: 'rejected',
  },
  {
    from: 'suspended',
    event: 'approval_timed_out',
    to: 'failed',
    effects: ['record_result', 'announce_finished', 'log_finished'],
    why: 'nobody decided in time',
  },
  {
    from: 'suspended',
    event: 'job_cancelled',
    to: 'cancelled',
    effects: ['close', 'announce_finished'],
    why: 'job cancelled',
  },
  {
    from: 'suspended',
    event: 'job_timed_out',
    to: 'failed',
    effects: ['close', 'announce_finished'],
    why: 'job timed out',
  },
]

const ENDED: JobEffect[] = ['conclude', 'announce_finished', 'end_log', 'notify_parent']

/** The legal job moves of API.md §2.1 (pending and running accept the same endings). */
const JOB_ROWS: Array<{
  from: JobStatus
  event: JobEventType
  to: JobStatus
  effects: JobEffect[]
  why: string
}> = [
  {
    from: 'pending',
    event: 'start',
    to: 'running',
    effects: ['mark_started', 'announce_started'],
    why: 'first step claimed',
  },
  ...(['pending', 'running'] as const).flatMap((from) => [
    {
      from,
      event: 'complete' as const,
      to: 'completed' as const,
      effects: [...ENDED, 'hooks' as const],
      why: 'every step terminal, none failed untolerated',
    },
    {
      from,
      event: 'fail' as const,
      to: 'failed' as const,
      effects: [...ENDED, 'task_retry' as const, 'hooks' as const],
      why: 'a step failed, or the job timed out',
    },
    {
      from,
      event: 'stopped' as const,
      to: 'cancelled' as const,
      effects: [...ENDED, 'hooks' as const],
      why: 'the cancel stopped a step',
    },
    {
      from,
      event: 'request_cancel' as const,
      to: from,
      effects: ['mark_cancel_requested' as const, 'move_steps' as const],
      why: 'cancel requested',
    },
    {
      from,
      event: 'time_out' as const,
      to: from,
      effects: ['mark_timed_out' as const, 'move_steps' as const],
      why: 'timeout passed',
    },
  ]),
]

describe('flow/state-machine', () => {
  describe('steps', () => {
    for (const r of STEP_ROWS) {
      it(`${r.from} --${r.event}--> ${r.to} (${r.why})`, () => {
        expect(stepTransition(r.from, r.event)).to.deep.equal({
          ok: true,
          to: r.to,
          effects: r.effects,
        })
      })
    }

    for (const from of STEP_STATUSES) {
      for (const event of STEP_EVENTS) {
        if (STEP_ROWS.some((r) => r.from === from && r.event === event)) continue
        it(`refuses ${event} in status ${from}`, () => {
          expect(stepTransition(from, event)).to.deep.equal({
            ok: false,
            error: `illegal step transition: '${event}' in status '${from}'`,
          })
        })
      }
    }

    it('has no row the list above does not name', () => {
      const rows = STEP_STATUSES.flatMap((from) =>
        Object.keys(STEP_MACHINE[from]).map((event) => `${from}/${event}`),
      )
      expect(rows).to.have.members(STEP_ROWS.map((r) => `${r.from}/${r.event}`))
    })

    it('never leaves a terminal status', () => {
      for (const s of ['completed', 'failed', 'skipped', 'cancelled'] as const)
        expect(Object.keys(STEP_MACHINE[s])).to.deep.equal([])
    })
  })

  describe('jobs', () => {
    for (const r of JOB_ROWS) {
      it(`${r.from} --${r.event}--> ${r.to} (${r.why})`, () => {
        expect(jobTransition(r.from, r.event)).to.deep.equal({
          ok: true,
          to: r.to,
          effects: r.effects,
        })
      })
    }

    for (const from of JOB_STATUSES) {
      for (const event of JOB_EVENTS) {
        if (JOB_ROWS.some((r) => r.from === from && r.event === event)) continue
        it(`refuses ${event} in status ${from}`, () => {
          expect(jobTransition(from, event)).to.deep.equal({
            ok: false,
            error: `illegal job transition: '${event}' in status '${from}'`,
          })
        })
      }
    }

    it('has no row the list above does not name', () => {
      const rows = JOB_STATUSES.flatMap((from) =>
        Object.keys(JOB_MACHINE[from]).map((event) => `${from}/${event}`),
      )
      expect(rows).to.have.members(JOB_ROWS.map((r) => `${r.from}/${r.event}`))
    })
  })
})
