/**
 * The step and job state machines (API.md §2.1, §2.2) as two tables: status × event → next
 * status, plus the effects that move writes and announces. Every write path decides through
 * them: planning (the first advance), claim, the end of an attempt (success, failure, retry, a
 * stopped attempt, a lost worker), the skip cascade and `when`, cancel, job timeout, and a job's
 * end (hooks, task retry). A pair with no row is illegal: the caller gets a refusal and writes
 * nothing.
 *
 * Adding a status is one row per event that enters or leaves it, plus its effects; the effects'
 * meaning is interpreted in one place (flow/move-effects.ts), the writes in jobs/ and db/.
 */
import type { JobStatus, StepStatus } from '../shared/statuses.ts'

/** What can happen to a step. */
export const STEP_EVENTS = [
  /** Every dependency settled and the step may run (`when` true or absent). */
  'deps_met',
  /** A dependency failed or was cancelled, every one was skipped, or `when` is false. */
  'skip',
  /** `when` could not be evaluated. */
  'condition_failed',
  /** A worker took the step under a new lease. */
  'claim',
  /** The attempt exited 0. */
  'complete',
  /** The attempt failed (exit code, step timeout, lost worker, bad template) with no retry left. */
  'fail',
  /** The attempt failed and the retry policy allows another. */
  'retry',
  /** The attempt ended after its job was cancelled. */
  'stopped',
  /** The job was cancelled. */
  'job_cancelled',
  /** The job's timeout passed. */
  'job_timed_out',
  /** A ready loop step became its instances (the server runs the loop step). */
  'expand',
  /** A ready `type: task` step started its child job. */
  'start_child',
  /** A ready `type: approval` step waits for a person's decision. */
  'suspend',
  /** The server could not start a step it runs (a for_each, child or message problem). */
  'dispatch_failed',
  /** A waiting approval was approved. */
  'approve',
  /** A waiting approval was rejected. */
  'reject',
  /** A waiting approval outlived the step's timeout. */
  'approval_timed_out',
] as const
export type StepEventType = (typeof STEP_EVENTS)[number]

/** What a step move writes (first group) and announces (second group). */
export const STEP_EFFECTS = [
  /** ready_at is set (now, or not before a delay): claimers may take the step. */
  'claimable',
  /** worker, lease token, claimed_at and deadline are set (the claim statement). */
  'lease',
  /** The lease is released; exit code, output, error and completed_at are recorded. */
  'end_attempt',
  /** The lease is released, attempt + 1, the error is kept; claimable at the retry time. */
  'next_attempt',
  /** completed_at and the reason are recorded, for a step that never ran. */
  'close',
  /** stop_reason is set and the deadline shortened; the worker is told to stop the process (a
   * child job is cancelled; a loop step waits for its instances). */
  'request_stop',
  /** The server starts the step itself: claimed_at and started_at are set, no worker or lease. */
  'start_server',
  /** The loop's instance steps are inserted (`name[0]`, `name[1]`, ...). */
  'expand_loop',
  /** The child job is planned and inserted; the step records its id. */
  'start_child',
  /** suspended_at is set and the approval's deadline (the step's timeout) starts. */
  'mark_suspended',
  /** `step.suspended` event, `_server` line and the `on_suspended` hooks. */
  'announce_suspended',
  /** The decision's output, error and completed_at are recorded. */
  'record_result',
  /** Waiting claimers are woken (now, or at the retry time). */
  'wake',
  /** `step.started` event and `_server` line. */
  'announce_started',
  /** `step.finished` event. */
  'announce_finished',
  /** The `_server` line that says how the step ended. */
  'log_finished',
  /** `step.retrying` event and `_server` line. */
  'announce_retrying',
] as const
export type StepEffect = (typeof STEP_EFFECTS)[number]

/** What can happen to a job. */
export const JOB_EVENTS = [
  /** A step of the job was claimed for the first time. */
  'start',
  /** Every step is terminal and the roll-up is `completed`. */
  'complete',
  /** Every step is terminal and the roll-up is `failed` (a step failure or the job timeout). */
  'fail',
  /** Every step is terminal after a cancel that stopped at least one step. */
  'stopped',
  /** Someone asked to cancel the job. */
  'request_cancel',
  /** The job's timeout passed. */
  'time_out',
] as const
export type JobEventType = (typeof JOB_EVENTS)[number]

export const JOB_EFFECTS = [
  /** started_at is set. */
  'mark_started',
  /** `job.started` event. */
  'announce_started',
  /** status, completed_at, output and error message are written. */
  'conclude',
  /** `job.finished` event. */
  'announce_finished',
  /** The log gets its final line and its end marker. */
  'end_log',
  /** A failed task with `retry` left gets its next attempt as a new job (hooks then wait). */
  'task_retry',
  /** The task's (or workspace's) hooks for the final status become jobs. */
  'hooks',
  /** cancel_requested_at is set (the first time) with a `job.cancel_requested` event and line. */
  'mark_cancel_requested',
  /** The job's error becomes `job timed out`, with a `_server` line. */
  'mark_timed_out',
  /** Every step of the job gets `job_cancelled` / `job_timed_out`. */
  'move_steps',
  /** A child job's end moves its parent's `type: task` step. */
  'notify_parent',
] as const
export type JobEffect = (typeof JOB_EFFECTS)[number]

export interface Row<S, E> {
  readonly to: S
  readonly effects: ReadonlyArray<E>
}

type Table<S extends string, V extends string, E> = {
  readonly [from in S]: { readonly [event in V]?: Row<S, E> }
}

function row<S, E>(to: S, ...effects: E[]): Row<S, E> {
  return { to, effects }
}

const FINISHED = ['announce_finished', 'log_finished'] as const

/** The step table. Terminal statuses have no rows: nothing moves a finished step. */
export const STEP_MACHINE: Table<StepStatus, StepEventType, StepEffect> = {
  pending: {
    deps_met: row('ready', 'claimable', 'wake'),
    skip: row('skipped', 'close', ...FINISHED),
    condition_failed: row('failed', 'close', ...FINISHED),
    job_cancelled: row('cancelled', 'close', 'announce_finished'),
    job_timed_out: row('failed', 'close', 'announce_finished'),
  },
  ready: {
    claim: row('running', 'lease', 'announce_started'),
    // An empty loop: there is nothing to run.
    skip: row('skipped', 'close', ...FINISHED),
    expand: row('running', 'start_server', 'expand_loop', 'announce_started'),
    start_child: row('running', 'start_server', 'start_child', 'announce_started'),
    suspend: row('suspended', 'start_server', 'mark_suspended', 'announce_suspended'),
    dispatch_failed: row('failed', 'close', ...FINISHED),
    job_cancelled: row('cancelled', 'close', 'announce_finished'),
    job_timed_out: row('failed', 'close', 'announce_finished'),
  },
  running: {
    complete: row('completed', 'end_attempt', ...FINISHED),
    fail: row('failed', 'end_attempt', ...FINISHED),
    retry: row('ready', 'next_attempt', 'announce_retrying', 'wake'),
    stopped: row('cancelled', 'end_attempt', ...FINISHED),
    // The worker must acknowledge: the step ends with `stopped` (or a lost lease).
    job_cancelled: row('running', 'request_stop'),
    job_timed_out: row('running', 'request_stop'),
  },
  suspended: {
    approve: row('completed', 'record_result', ...FINISHED),
    reject: row('failed', 'record_result', ...FINISHED),
    approval_timed_out: row('failed', 'record_result', ...FINISHED),
    job_cancelled: row('cancelled', 'close', 'announce_finished'),
    job_timed_out: row('failed', 'close', 'announce_finished'),
  },
  completed: {},
  failed: {},
  skipped: {},
  cancelled: {},
}

const ENDED = ['conclude', 'announce_finished', 'end_log', 'notify_parent'] as const
const WAITING_OR_RUNNING = {
  complete: row<JobStatus, JobEffect>('completed', ...ENDED, 'hooks'),
  fail: row<JobStatus, JobEffect>('failed', ...ENDED, 'task_retry', 'hooks'),
  stopped: row<JobStatus, JobEffect>('cancelled', ...ENDED, 'hooks'),
} as const

/** The job table. A job's status only changes through these rows; terminal jobs have none. */
export const JOB_MACHINE: Table<JobStatus, JobEventType, JobEffect> = {
  pending: {
    start: row('running', 'mark_started', 'announce_started'),
    ...WAITING_OR_RUNNING,
    request_cancel: row('pending', 'mark_cancel_requested', 'move_steps'),
    time_out: row('pending', 'mark_timed_out', 'move_steps'),
  },
  running: {
    ...WAITING_OR_RUNNING,
    request_cancel: row('running', 'mark_cancel_requested', 'move_steps'),
    time_out: row('running', 'mark_timed_out', 'move_steps'),
  },
  completed: {},
  failed: {},
  cancelled: {},
}

export type Transition<S, E> =
  | { readonly ok: true; readonly to: S; readonly effects: ReadonlyArray<E> }
  | { readonly ok: false; readonly error: string }

function lookup<S extends string, V extends string, E>(
  kind: string,
  table: Table<S, V, E>,
  from: S,
  event: V,
): Transition<S, E> {
  const r = table[from][event]
  if (r === undefined)
    return { ok: false, error: `illegal ${kind} transition: '${event}' in status '${from}'` }
  return { ok: true, to: r.to, effects: r.effects }
}

/** The row for `event` on a step in status `from`, or why there is none. */
export function stepTransition(
  from: StepStatus,
  event: StepEventType,
): Transition<StepStatus, StepEffect> {
  return lookup('step', STEP_MACHINE, from, event)
}

/** The row for `event` on a job in status `from`, or why there is none. */
export function jobTransition(
  from: JobStatus,
  event: JobEventType,
): Transition<JobStatus, JobEffect> {
  return lookup('job', JOB_MACHINE, from, event)
}

/** Like stepTransition, for callers that hold a step they know can take the event. */
export function mustStepTransition(
  stepName: string,
  from: StepStatus,
  event: StepEventType,
): Row<StepStatus, StepEffect> {
  const t = stepTransition(from, event)
  if (!t.ok) throw new Error(`step ${stepName}: ${t.error}`)
  return t
}

/** Like jobTransition, for callers that hold a job they know can take the event. */
export function mustJobTransition(
  jobId: string,
  from: JobStatus,
  event: JobEventType,
): Row<JobStatus, JobEffect> {
  const t = jobTransition(from, event)
  if (!t.ok) throw new Error(`job ${jobId}: ${t.error}`)
  return t
}

/** The job event that ends a job with a terminal roll-up status. */
export function endingEvent(status: 'completed' | 'failed' | 'cancelled'): JobEventType {
  switch (status) {
    case 'completed':
      return 'complete'
    case 'failed':
      return 'fail'
    case 'cancelled':
      return 'stopped'
  }
}
