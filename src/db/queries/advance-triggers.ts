import { sql, type Transaction } from 'kysely'
import type { DB } from '../schema.ts'

/** Where one trigger's schedule moves after a slot. */
export interface TriggerAdvance {
  readonly workspace: string
  readonly triggerName: string
  readonly nextFireAt: Date | null
  /** Set when the slot created a job. */
  readonly fired: { readonly at: Date; readonly jobId: string } | null
}

/**
 * Moves a batch of triggers past their slots in one statement; returns how many rows changed.
 * Invariant: only rows whose fence this transaction holds (lockTriggerFences, same transaction)
 * are passed in, so the update needs no fence of its own and never waits: the rows are locked
 * already. `last_fired_at`/`last_job_id` change only for slots that created a job.
 * Index: the primary key. One JSON parameter carries the batch, so its size is not bound by the
 * parameter limit, and the statement text is the same for every batch size.
 */
export async function advanceTriggers(
  trx: Transaction<DB>,
  advances: ReadonlyArray<TriggerAdvance>,
  now: Date,
): Promise<number> {
  if (advances.length === 0) return 0
  const batch = JSON.stringify(
    advances.map((a) => ({
      workspace: a.workspace,
      trigger_name: a.triggerName,
      next_fire_at: a.nextFireAt?.toISOString() ?? null,
      fired_at: a.fired?.at.toISOString() ?? null,
      job_id: a.fired?.jobId ?? null,
    })),
  )
  const result = await sql`
    UPDATE trigger_state AS t SET
      next_fire_at = v.next_fire_at,
      last_fired_at = coalesce(v.fired_at, t.last_fired_at),
      last_job_id = coalesce(v.job_id, t.last_job_id),
      updated_at = ${now}
    FROM jsonb_to_recordset(${batch}::jsonb) AS v(
      workspace text, trigger_name text, next_fire_at timestamptz, fired_at timestamptz, job_id uuid)
    WHERE t.workspace = v.workspace AND t.trigger_name = v.trigger_name`.execute(trx)
  return Number(result.numAffectedRows ?? 0)
}
