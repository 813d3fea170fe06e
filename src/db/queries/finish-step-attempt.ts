import { sql, type Transaction } from 'kysely'
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
   * the call can be answered (with the reply stored by recordLeaseReply).
   */
  readonly chain?: { readonly seq: number }
}

/**
 * Ends the current attempt of a running step under its lease: completed/failed/cancelled, or back
 * to ready for a retry (attempt + 1). Fencing: applies only while the token and `running` status
 * match, so a late or repeated completion changes nothing (0 rows → the caller answers 409
 * lease_expired). The caller holds the job row lock (job before steps).
 */
export async function finishStepAttempt(trx: Transaction<DB>, end: AttemptEnd): Promise<boolean> {
  const retry = end.status === 'ready'
  let q = trx
    .updateTable('step_runs')
    .set({
      status: end.status,
      exit_code: end.exitCode,
      output:
        end.status === 'completed' && end.output !== undefined ? JSON.stringify(end.output) : null,
      error_message: end.errorMessage,
      lease_token: null,
      prev_lease_token: end.chain ? end.leaseToken : null,
      ...(end.chain ? { lease_seq: end.chain.seq } : {}),
      lease_expires_at: null,
      deadline_at: null,
      completed_at: retry ? null : sql<Date>`now()`,
      ...(retry
        ? {
            attempt: sql<number>`attempt + 1`,
            ready_at: end.retryAt ?? sql<Date>`now()`,
            worker_id: null,
          }
        : {}),
    })
    .where('id', '=', end.stepId)
    .where('status', '=', 'running')
  if (end.leaseToken !== null) q = q.where('lease_token', '=', end.leaseToken)
  if (end.chain) q = q.where('lease_seq', '=', end.chain.seq - 1)
  const res = await q.executeTakeFirst()
  return Number(res.numUpdatedRows) === 1
}
