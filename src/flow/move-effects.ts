/**
 * What a move of the state machines (flow/state-machine.ts) writes and announces: the one
 * interpreter of its effects. Writes come out as plain changes (applied by jobs/ through db/),
 * announcements (`_server` lines, domain events, wake-ups, log ends) go into the transaction's
 * AfterCommit.
 */
import { assertNever } from '../shared/errors.ts'
import type { DomainEvent } from '../shared/events.ts'
import type { JobStatus, StepStatus } from '../shared/statuses.ts'
import type { AfterCommit } from './after-commit.ts'
import {
  mustJobTransition,
  mustStepTransition,
  type JobEffect,
  type JobEventType,
  type StepEffect,
  type StepEventType,
} from './state-machine.ts'

type JobRef = { readonly id: string; readonly workspace: string; readonly taskName: string }

/**
 * A step's row changes with a move that no lease fences: waiting steps, and the steps the server
 * runs itself (one write for many: applyStepChanges). Applied only while the row still has the
 * move's `from` status.
 */
export interface StepStatusChange {
  readonly stepId: string
  readonly from: StepStatus
  readonly status: StepStatus
  readonly errorMessage: string | null
  /** Ready steps become claimable at this time. */
  readonly readyAt: Date | null
  /** A result the server records (a loop's outputs, an approval, a child job's output). */
  readonly output?: unknown
  /** A server-run step's retry: its next attempt. */
  readonly attempt?: number
  /** A server-run step starts: claimed_at and started_at. */
  readonly startedAt?: Date
  /** An approval waits from then until its deadline. */
  readonly suspendedAt?: Date
  readonly deadlineAt?: Date
  /** A task step's child job. */
  readonly childJobId?: string
  /** The step input as rendered when the server started the step (what the detail shows). */
  readonly input?: unknown
}

/** Job row fields a move writes (undefined: unchanged). */
export interface JobChanges {
  readonly status?: JobStatus
  readonly output?: unknown
  readonly errorMessage?: string | null
  readonly startedAt?: Date
  readonly completedAt?: Date
  readonly cancelRequestedAt?: Date
}

export interface StepMove {
  readonly stepId: string
  readonly name: string
  readonly attempt: number
  readonly from: StepStatus
  readonly event: StepEventType
  readonly to: StepStatus
  readonly effects: ReadonlyArray<StepEffect>
  /** What the move records: the skip reason or the error message (null for none). */
  readonly reason: string | null
  /** What a step the server runs produced (a loop's list, an approval's decision, a child's output). */
  readonly output?: unknown
}

/** Applies `event` to a step through the table; throws on an illegal move (a caller bug). */
export function moveStep(
  step: {
    readonly id: string
    readonly name: string
    readonly attempt: number
    readonly status: StepStatus
  },
  event: StepEventType,
  reason: string | null = null,
  output?: unknown,
): StepMove {
  const row = mustStepTransition(step.name, step.status, event)
  return {
    stepId: step.id,
    name: step.name,
    attempt: step.attempt,
    from: step.status,
    event,
    to: row.to,
    effects: row.effects,
    reason,
    ...(output !== undefined ? { output } : {}),
  }
}

/** The error a step keeps after the move: the reason of a failed or stopped step, else null. */
export function errorOf(move: StepMove): string | null {
  return move.to === 'failed' || move.event === 'stopped' ? move.reason : null
}

/**
 * The write of a move on a step that is not running (`claimable`, `close`); null for moves
 * written elsewhere (the claim statement, an attempt's end) or not at all (`request_stop` is one
 * write per job).
 */
export function statusChangeOf(move: StepMove, readyAt: Date): StepStatusChange | null {
  const base = { stepId: move.stepId, from: move.from, status: move.to }
  if (move.effects.includes('claimable')) return { ...base, errorMessage: null, readyAt }
  if (move.effects.includes('close') || move.effects.includes('record_result'))
    return {
      ...base,
      errorMessage: errorOf(move),
      readyAt: null,
      ...(move.output !== undefined ? { output: move.output } : {}),
    }
  return null
}

/**
 * One write per step: a step moved twice in one decision (pending → ready → running, as a task
 * step does when its dependencies settle) is written once, fenced on its first `from`, with the
 * last status and every field either move set (one UPDATE cannot apply two rows to one step).
 */
export function mergeChanges(changes: ReadonlyArray<StepStatusChange>): StepStatusChange[] {
  const byStep = new Map<string, StepStatusChange>()
  for (const c of changes) {
    const prev = byStep.get(c.stepId)
    byStep.set(c.stepId, prev ? { ...prev, ...c, from: prev.from } : c)
  }
  return [...byStep.values()]
}

/**
 * The write of a move on a step the server runs (no lease): its start (`start_server`, with what
 * `extra` adds: the child job, the approval's deadline, the rendered input), its end
 * (`end_attempt`) or its retry (`next_attempt`, claimable at `readyAt`).
 */
export function serverChangeOf(
  move: StepMove,
  now: Date,
  extra: Partial<StepStatusChange> & { readonly readyAt?: Date | null } = {},
): StepStatusChange {
  const base = { stepId: move.stepId, from: move.from, status: move.to }
  if (move.effects.includes('next_attempt'))
    return {
      ...base,
      errorMessage: move.reason,
      readyAt: extra.readyAt ?? now,
      attempt: move.attempt + 1,
    }
  if (move.effects.includes('start_server'))
    return { ...base, errorMessage: null, readyAt: null, startedAt: now, ...extra }
  return (
    statusChangeOf(move, now) ?? {
      ...base,
      errorMessage: errorOf(move),
      readyAt: null,
      ...(move.output !== undefined ? { output: move.output } : {}),
    }
  )
}

/** Details some announcements need beyond the move itself. */
export interface StepAnnounceDetails {
  /** `announce_started`: who claimed the step (a worker), or what the server started. */
  readonly worker?: { readonly id: string; readonly name: string }
  readonly instances?: number
  readonly child?: { readonly id: string; readonly task: string }
  /** `log_finished` of a completed attempt. */
  readonly exitCode?: number | null
  /** `announce_retrying`: when the next attempt may start, after what delay, of how many. */
  readonly retryAt?: Date
  readonly retryDelayMs?: number
  readonly maxAttempts?: number
}

function firstLine(s: string | null): string {
  return (s ?? '').split('\n')[0] ?? ''
}

/** Puts a step move's `_server` lines, events and wake-ups into `fx`. */
export function announceStepMove(
  fx: AfterCommit,
  job: JobRef,
  move: StepMove,
  d: StepAnnounceDetails = {},
): void {
  const who = {
    job_id: job.id,
    workspace: job.workspace,
    task_name: job.taskName,
    step_name: move.name,
  }
  for (const effect of move.effects) {
    switch (effect) {
      case 'announce_started':
        fx.event('step.started', { ...who, attempt: move.attempt, worker_id: d.worker?.id ?? null })
        fx.line(job.id, startedLine(move, d))
        break
      case 'announce_suspended': {
        const message = approvalMessageOf(move)
        fx.event('step.suspended', { ...who, message })
        fx.line(job.id, `step ${move.name} waits for an approval: ${firstLine(message)}`)
        break
      }
      case 'announce_finished':
        fx.events.push(stepFinishedEvent(job, move, move.to, errorOf(move)))
        break
      case 'log_finished': {
        const [line, stream] = finishedLine(move, d)
        fx.line(job.id, line, stream)
        break
      }
      case 'announce_retrying': {
        const retryAt = d.retryAt ?? new Date(0)
        fx.event('step.retrying', {
          ...who,
          attempt: move.attempt,
          error_message: move.reason,
          retry_at: retryAt.toISOString(),
        })
        const secs = Math.round((d.retryDelayMs ?? 0) / 100) / 10
        fx.line(
          job.id,
          `step ${move.name} failed (attempt ${move.attempt}/${d.maxAttempts ?? 1}): ${firstLine(move.reason)}; retrying in ${secs}s`,
          'stderr',
        )
        break
      }
      case 'wake':
        if (d.retryAt) fx.wakeAt.push(d.retryAt)
        else fx.readySteps.push(move.stepId)
        break
      case 'start_server':
      case 'expand_loop':
      case 'start_child':
      case 'mark_suspended':
      case 'record_result':
      case 'claimable':
      case 'lease':
      case 'end_attempt':
      case 'next_attempt':
      case 'close':
      case 'request_stop':
        break // writes: statusChangeOf, the attempt's end, requestStop
    }
  }
}

function startedLine(move: StepMove, d: StepAnnounceDetails): string {
  if (move.event === 'expand')
    return `step ${move.name} runs as a loop of ${d.instances ?? 0} instance${d.instances === 1 ? '' : 's'}`
  if (move.event === 'start_child')
    return `step ${move.name} started child job ${d.child?.id ?? 'unknown'} (task ${d.child?.task ?? 'unknown'})`
  return `step ${move.name} started on worker ${d.worker?.name ?? 'unknown'} (attempt ${move.attempt})`
}

function approvalMessageOf(move: StepMove): string {
  const out = move.output as { approval_message?: unknown } | undefined
  return typeof out?.approval_message === 'string' ? out.approval_message : ''
}

function finishedLine(
  move: StepMove,
  d: StepAnnounceDetails,
): readonly [string, 'stdout' | 'stderr'] {
  if (move.event === 'approve') return [`step ${move.name} approved`, 'stdout']
  if (move.event === 'reject')
    return [`step ${move.name} rejected: ${firstLine(move.reason)}`, 'stderr']
  switch (move.to) {
    case 'completed':
      return d.exitCode === undefined
        ? [`step ${move.name} completed`, 'stdout']
        : [`step ${move.name} completed (exit code ${d.exitCode ?? 0})`, 'stdout']
    case 'failed':
      return [`step ${move.name} failed: ${firstLine(move.reason)}`, 'stderr']
    case 'cancelled':
      return [`step ${move.name} cancelled`, 'stdout']
    case 'skipped':
      return [`step ${move.name} skipped${move.reason ? `: ${move.reason}` : ''}`, 'stdout']
    case 'pending':
    case 'ready':
    case 'running':
    case 'suspended':
      return [`step ${move.name} ${move.to}`, 'stdout']
    default:
      return assertNever(move.to, 'step status')
  }
}

/** `step.finished` for a step that reached a terminal status (also skipped or cancelled ones). */
export function stepFinishedEvent(
  job: JobRef,
  step: { readonly name: string; readonly attempt: number },
  status: StepStatus,
  errorMessage: string | null,
): DomainEvent<'step.finished'> {
  return {
    type: 'step.finished',
    data: {
      job_id: job.id,
      workspace: job.workspace,
      task_name: job.taskName,
      step_name: step.name,
      attempt: step.attempt,
      status,
      error_message: errorMessage,
    },
  }
}

export interface JobMove {
  readonly jobId: string
  readonly from: JobStatus
  readonly event: JobEventType
  readonly to: JobStatus
  readonly effects: ReadonlyArray<JobEffect>
}

/** Applies `event` to a job through the table; throws on an illegal move (a caller bug). */
export function moveJob(
  job: { readonly id: string; readonly status: JobStatus },
  event: JobEventType,
): JobMove {
  const row = mustJobTransition(job.id, job.status, event)
  return {
    jobId: job.id,
    from: job.status,
    event,
    to: row.to,
    effects: row.effects,
  }
}

/** What a job move's writes and announcements need to know. */
export interface JobMoveDetails {
  readonly now: Date
  /** `conclude`: the job's output and error message. */
  readonly output?: unknown
  readonly errorMessage?: string | null
  /** `announce_finished`: when the job started (null: it never ran). */
  readonly startedAt?: Date | null
  /** `mark_cancel_requested`: the job's earlier request, if any, and how many steps must stop. */
  readonly cancelRequestedAt?: Date | null
  readonly stopping?: number
  /** `notify_parent`: the job's parent, when it is a sub-task's job. */
  readonly parentJobId?: string | null
}

/** The job row fields a move writes. */
export function jobChangesOf(move: JobMove, d: JobMoveDetails): JobChanges {
  let changes: JobChanges = {}
  for (const effect of move.effects) {
    switch (effect) {
      case 'mark_started':
        changes = { ...changes, status: move.to, startedAt: d.now }
        break
      case 'conclude':
        changes = {
          ...changes,
          status: move.to,
          completedAt: d.now,
          output: d.output ?? null,
          errorMessage: d.errorMessage ?? null,
        }
        break
      case 'mark_cancel_requested':
        if (!d.cancelRequestedAt) changes = { ...changes, cancelRequestedAt: d.now }
        break
      case 'mark_timed_out':
        changes = { ...changes, errorMessage: JOB_TIMED_OUT }
        break
      case 'announce_started':
      case 'announce_finished':
      case 'end_log':
      case 'task_retry':
      case 'hooks':
      case 'move_steps':
      case 'notify_parent':
        break
    }
  }
  return changes
}

/** The error of a job (and of its waiting steps) whose timeout passed. */
export const JOB_TIMED_OUT = 'job timed out'

/** Puts a job move's events, `_server` lines and log end into `fx`. */
export function announceJobMove(
  fx: AfterCommit,
  job: JobRef,
  move: JobMove,
  d: JobMoveDetails,
): void {
  const who = { job_id: job.id, workspace: job.workspace, task_name: job.taskName }
  for (const effect of move.effects) {
    switch (effect) {
      case 'announce_started':
        fx.event('job.started', { ...who, status: 'running' })
        break
      case 'announce_finished':
        fx.event('job.finished', {
          ...who,
          status: move.to,
          started_at: d.startedAt?.toISOString() ?? null,
          completed_at: d.now.toISOString(),
        })
        break
      case 'end_log': {
        const error = move.to === 'failed' && d.errorMessage ? `: ${firstLine(d.errorMessage)}` : ''
        fx.ends.push({ jobId: job.id, status: move.to, line: `job ${move.to}${error}` })
        break
      }
      case 'mark_cancel_requested': {
        if (d.cancelRequestedAt) break
        const n = d.stopping ?? 0
        fx.event('job.cancel_requested', { ...who, status: move.from })
        fx.line(job.id, `cancel requested; ${n} running step${n === 1 ? '' : 's'} asked to stop`)
        break
      }
      case 'mark_timed_out':
        fx.line(job.id, JOB_TIMED_OUT, 'stderr')
        break
      case 'notify_parent':
        if (d.parentJobId) fx.childEnds.push({ parentJobId: d.parentJobId, childJobId: job.id })
        break
      case 'mark_started':
      case 'conclude':
      case 'task_retry':
      case 'hooks':
      case 'move_steps':
        break
    }
  }
}
