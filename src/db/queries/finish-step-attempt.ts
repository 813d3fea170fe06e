import { sql, type Kysely, type RawBuilder } from 'kysely'
import type { DomainEvent } from '../../shared/events.ts'
import { eventsInsert } from '../repositories/event.repository.ts'
import type { JobPatch } from '../repositories/job.repository.ts'
import { stepChangesUpdate, type StepStatusChange } from '../repositories/step-run.repository.ts'
import type { DB } from '../schema.ts'

export interface AttemptEnd {
  readonly stepId: string
  /** The lease the caller holds; null for server-side ends (sweeper, cancel) that fence on status. */
  readonly leaseToken: string | null
  readonly status: 'completed' | 'failed' | 'cancelled' | 'ready'
  readonly exitCode: number | null
  readonly output: unknown
  readonly errorMessage: string | null
  /** For a retry (`status: 'ready'`): when the next attempt may be claimed. */
  readonly retryAt: Date | null
  /**
   * A remote worker's `complete` is the last call of its lease token chain (API.md §11.4): it is
   * fenced on the chain's seq too, and the consumed token and seq stay on the row so a replay of
   * the call can be answered with `reply`.
   */
  readonly chain?: { readonly seq: number; readonly reply: unknown }
}

/** Writes decided in a job's transaction, applied together by finishStepAttempt. */
export interface JobWrites {
  readonly jobId: string
  readonly stepChanges: ReadonlyArray<StepStatusChange>
  readonly jobPatch: JobPatch
  readonly events: ReadonlyArray<DomainEvent>
}

/**
 * Ends the current attempt of a running step under its lease and applies everything decided with
 * it, in one statement: the attempt's end (completed/failed/cancelled, or back to ready for a
 * retry with attempt + 1), the other steps' changes, the job row (always written, so the next
 * locker can tell its snapshot is stale: lockJobWithSteps) and the events (last, insertEvents'
 * rule: this MUST be the transaction's last statement). Fencing: nothing is applied unless the
 * token and `running` status (and a chain's seq and unexpired lease) still match, so a late or repeated completion
 * changes nothing (false → the caller rolls back and answers 409 lease_expired). The caller holds
 * the job row lock (job before steps).
 */
export async function finishStepAttempt(
  trx: Kysely<DB>,
  end: AttemptEnd,
  writes: JobWrites,
  /**
   * Optimistic finish (no transaction, no lock held): the job row version read with the steps
   * (readJobWithSteps). The statement locks the row and applies nothing unless the version is
   * unchanged — every job locker writes the row — so `conflict` means: read again and decide again.
   */
  expectVersion?: string,
): Promise<'applied' | 'lease_moved' | 'conflict'> {
  const retry = end.status === 'ready'
  const leaseFence: RawBuilder<unknown>[] = [
    sql`id = ${end.stepId}`,
    sql`status = 'running'`,
    ...(end.leaseToken !== null ? [sql`lease_token = ${end.leaseToken}`] : []),
    ...(end.chain ? [sql`lease_seq = ${end.chain.seq - 1}`, sql`lease_expires_at > now()`] : []),
  ]
  const output =
    end.status === 'completed' && end.output !== undefined ? JSON.stringify(end.output) : null
  const { rows } = await sql<{ fenced: boolean; applied: boolean }>`
    WITH fence AS MATERIALIZED (
      SELECT id FROM jobs WHERE id = ${writes.jobId}
        AND ${expectVersion === undefined ? sql`true` : sql`xmin::text = ${expectVersion}`}
      FOR UPDATE
    ), attempt AS (
      UPDATE step_runs SET
        status = ${end.status},
        exit_code = ${end.exitCode},
        output = ${output}::jsonb,
        error_message = ${end.errorMessage},
        lease_token = NULL,
        prev_lease_token = ${end.chain ? end.leaseToken : null},
        lease_seq = ${end.chain ? sql`${end.chain.seq}` : sql`lease_seq`},
        lease_reply = ${end.chain ? JSON.stringify(end.chain.reply) : null}::jsonb,
        lease_expires_at = NULL,
        deadline_at = NULL,
        completed_at = ${retry ? null : sql`now()`},
        attempt = ${retry ? sql`attempt + 1` : sql`attempt`},
        ready_at = ${retry ? (end.retryAt ? sql`${end.retryAt}::timestamptz` : sql`now()`) : sql`ready_at`},
        worker_id = ${retry ? null : sql`worker_id`}
      WHERE ${sql.join(leaseFence, sql` AND `)} AND EXISTS (SELECT 1 FROM fence)
      RETURNING id
    ), changed AS (
      ${stepChangesUpdate(writes.stepChanges, sql`EXISTS (SELECT 1 FROM attempt)`)}
    ), job AS (
      UPDATE jobs SET ${jobSet(writes.jobPatch)}
      WHERE id = ${writes.jobId} AND EXISTS (SELECT 1 FROM attempt)
    ), ${eventsInsert(writes.events, sql`EXISTS (SELECT 1 FROM attempt)`)}
    SELECT EXISTS (SELECT 1 FROM fence) AS fenced, EXISTS (SELECT 1 FROM attempt) AS applied
  `.execute(trx)
  const r = rows[0]
  return !r?.fenced ? 'conflict' : r.applied ? 'applied' : 'lease_moved'
}

/** The SET list of a job patch; an empty patch still writes the row (`status = status`). */
function jobSet(p: JobPatch): RawBuilder<unknown> {
  const set: RawBuilder<unknown>[] = [sql`status = ${p.status ?? sql`status`}`]
  if (p.output !== undefined) set.push(sql`output = ${JSON.stringify(p.output ?? null)}::jsonb`)
  if (p.errorMessage !== undefined) set.push(sql`error_message = ${p.errorMessage}`)
  if (p.startedAt !== undefined)
    set.push(sql`started_at = coalesce(started_at, ${p.startedAt}::timestamptz)`)
  if (p.completedAt !== undefined) set.push(sql`completed_at = ${p.completedAt}::timestamptz`)
  if (p.cancelRequestedAt !== undefined)
    set.push(sql`cancel_requested_at = ${p.cancelRequestedAt}::timestamptz`)
  return sql.join(set)
}
