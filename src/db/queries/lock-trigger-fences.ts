import { sql, type Transaction } from 'kysely'
import type { DB } from '../schema.ts'

/** A trigger a fire transaction wants to move past a slot, and the fence it read. */
export interface TriggerFence {
  readonly workspace: string
  readonly triggerName: string
  readonly specHash: string
  /** The `next_fire_at` the scheduler read before the transaction. */
  readonly expectedNextFireAt: Date
}

/**
 * Locks the trigger_state rows of one fire batch and returns the keys whose fence still holds
 * (same `next_fire_at`, same spec hash, still enabled): only those may fire in this transaction.
 * Invariant: a slot is acted on by exactly one transaction. Rows are locked FOR UPDATE in key
 * order, so two schedulers racing over overlapping batches queue behind each other instead of
 * deadlocking; the loser's SELECT (READ COMMITTED) then reads the winner's committed row, sees a
 * moved `next_fire_at` and leaves that trigger alone. Holding these locks until commit also
 * serialises everything a fire does to its trigger's jobs (overlap policy, ARCHITECTURE.md §6).
 * Index: the primary key (workspace, trigger_name).
 */
export async function lockTriggerFences(
  trx: Transaction<DB>,
  fences: ReadonlyArray<TriggerFence>,
): Promise<Set<string>> {
  if (fences.length === 0) return new Set()
  const keys = JSON.stringify(fences.map((f) => [f.workspace, f.triggerName]))
  const rows = await trx
    .selectFrom('trigger_state')
    .select(['workspace', 'trigger_name', 'spec_hash', 'enabled', 'next_fire_at'])
    .where(
      sql<boolean>`(workspace, trigger_name) IN (
        SELECT k->>0, k->>1 FROM jsonb_array_elements(${keys}::jsonb) AS k)`,
    )
    .orderBy('workspace')
    .orderBy('trigger_name')
    .forUpdate()
    .execute()
  const byKey = new Map(rows.map((r) => [fenceKey(r.workspace, r.trigger_name), r]))
  const held = new Set<string>()
  for (const f of fences) {
    const key = fenceKey(f.workspace, f.triggerName)
    const row = byKey.get(key)
    if (
      row?.enabled === true &&
      row.spec_hash === f.specHash &&
      row.next_fire_at?.getTime() === f.expectedNextFireAt.getTime()
    )
      held.add(key)
  }
  return held
}

/** The key lockTriggerFences reports held fences by. */
export function fenceKey(workspace: string, triggerName: string): string {
  return JSON.stringify([workspace, triggerName])
}
