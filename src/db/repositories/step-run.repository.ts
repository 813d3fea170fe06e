/** step_runs updates made by the orchestrator under the job lock, and reads of held leases. */
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely'
import { isTerminalStepStatus } from '../../shared/statuses.ts'
import type { StepStatusChange } from '../../flow/move-effects.ts'
import type { DB } from '../schema.ts'

export type { StepStatusChange }

/**
 * The UPDATE ... FROM of decided step changes (flow/move-effects.ts StepStatusChange), shared by
 * applyStepChanges and finishStepAttempt. Fenced by the state machine: a row changes only while
 * it still has the move's `from` status, so a change decided on a stale read changes nothing.
 * `guard` adds a condition (the finish applies changes only with its attempt).
 */
export function stepChangesUpdate(
  changes: ReadonlyArray<StepStatusChange>,
  guard: RawBuilder<unknown> = sql`true`,
): RawBuilder<unknown> {
  return sql`
    UPDATE step_runs s SET
      status = c.status,
      error_message = c.error_message,
      ready_at = c.ready_at,
      completed_at = CASE WHEN c.terminal THEN now() END,
      output = coalesce(c.output, s.output),
      attempt = coalesce(c.attempt, s.attempt),
      claimed_at = coalesce(c.started_at, s.claimed_at),
      started_at = coalesce(c.started_at, s.started_at),
      suspended_at = coalesce(c.suspended_at, s.suspended_at),
      deadline_at = CASE WHEN c.status = 'suspended' THEN c.deadline_at
        WHEN c.terminal OR c.status = 'ready' THEN NULL ELSE s.deadline_at END,
      child_job_id = coalesce(c.child_job_id, s.child_job_id),
      input = coalesce(c.input, s.input)
    FROM jsonb_to_recordset(${stepChangeRows(changes)}::jsonb)
      AS c(id uuid, from_status text, status text, error_message text, ready_at timestamptz,
        terminal boolean, output jsonb, attempt integer, started_at timestamptz,
        suspended_at timestamptz, deadline_at timestamptz, child_job_id uuid, input jsonb)
    WHERE s.id = c.id AND s.status = c.from_status AND ${guard}`
}

/** Applies decided step changes (moves without a lease: waiting and server-run steps): one statement. */
export async function applyStepChanges(
  trx: Kysely<DB>,
  changes: ReadonlyArray<StepStatusChange>,
): Promise<void> {
  if (changes.length === 0) return
  await stepChangesUpdate(changes).execute(trx)
}

/** Changes as the JSON rows stepChangesUpdate reads with jsonb_to_recordset. */
function stepChangeRows(changes: ReadonlyArray<StepStatusChange>): string {
  return JSON.stringify(
    changes.map((c) => ({
      id: c.stepId,
      from_status: c.from,
      status: c.status,
      error_message: c.errorMessage,
      ready_at: c.readyAt,
      terminal: isTerminalStepStatus(c.status),
      output: c.output === undefined ? null : c.output,
      attempt: c.attempt ?? null,
      started_at: c.startedAt ?? null,
      suspended_at: c.suspendedAt ?? null,
      deadline_at: c.deadlineAt ?? null,
      child_job_id: c.childJobId ?? null,
      input: c.input === undefined ? null : c.input,
    })),
  )
}

/** Records the rendered inputs of claimed attempts (what the job detail shows): one statement. */
export async function setStepInputs(
  db: Kysely<DB>,
  inputs: ReadonlyArray<{ readonly stepId: string; readonly input: unknown }>,
): Promise<void> {
  if (inputs.length === 0) return
  const rows = JSON.stringify(inputs.map((i) => ({ id: i.stepId, input: i.input ?? null })))
  await sql`
    UPDATE step_runs s SET input = v.input
    FROM jsonb_to_recordset(${rows}::jsonb) AS v(id uuid, input jsonb)
    WHERE s.id = v.id`.execute(db)
}

/** Marks a step started (first start only), under its lease. */
export async function markStepStarted(
  db: Kysely<DB>,
  stepId: string,
  leaseToken: string,
): Promise<boolean> {
  const res = await db
    .updateTable('step_runs')
    .set({ started_at: sql<Date>`coalesce(started_at, now())` })
    .where('id', '=', stepId)
    .where('lease_token', '=', leaseToken)
    .where('status', '=', 'running')
    .executeTakeFirst()
  return Number(res.numUpdatedRows) === 1
}

/** Stores the reply of a lease's last call, returned again when the worker replays that call. */
export async function recordLeaseReply(
  trx: Transaction<DB>,
  stepId: string,
  reply: unknown,
): Promise<void> {
  await trx
    .updateTable('step_runs')
    .set({ lease_reply: JSON.stringify(reply) })
    .where('id', '=', stepId)
    .execute()
}

/**
 * Asks the running steps of a job that a worker holds to stop (cancel or job timeout); workers
 * see it on their next call. Steps the server runs (loops, task steps) have no worker.
 */
export async function requestStop(
  trx: Transaction<DB>,
  jobId: string,
  reason: string,
): Promise<number> {
  const res = await trx
    .updateTable('step_runs')
    .set({
      stop_reason: reason,
      deadline_at: sql<Date>`least(deadline_at, now() + interval '30 seconds')`,
    })
    .where('job_id', '=', jobId)
    .where('status', '=', 'running')
    .where('worker_id', 'is not', null)
    .executeTakeFirst()
  return Number(res.numUpdatedRows)
}

/** Outputs of the completed steps of a job, for rendering a claimed step. */
export async function loadCompletedOutputs(
  db: Kysely<DB>,
  jobId: string,
): Promise<Map<string, unknown>> {
  const rows = await db
    .selectFrom('step_runs')
    .select(['step_name', 'output'])
    .where('job_id', '=', jobId)
    .where('status', '=', 'completed')
    .execute()
  return new Map(rows.map((r) => [r.step_name, r.output ?? null]))
}

export interface HeldLease {
  readonly stepId: string
  readonly jobId: string
  readonly stepName: string
  readonly leaseToken: string | null
}

/** Running steps a worker holds; with `claimedUpTo`, only those claimed by then. Index: step_runs_worker. */
export async function listLeasesOfWorker(
  db: Kysely<DB>,
  workerId: string,
  claimedUpTo?: Date,
): Promise<HeldLease[]> {
  let q = db
    .selectFrom('step_runs')
    .select(['id', 'job_id', 'step_name', 'lease_token'])
    .where('worker_id', '=', workerId)
    .where('status', '=', 'running')
  if (claimedUpTo) q = q.where('claimed_at', '<=', claimedUpTo)
  const rows = await q.execute()
  return rows.map((r) => ({
    stepId: r.id,
    jobId: r.job_id,
    stepName: r.step_name,
    leaseToken: r.lease_token,
  }))
}
