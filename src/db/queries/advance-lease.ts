import { sql, type Kysely } from 'kysely'
import type { DB } from '../schema.ts'

export interface LeaseAdvance {
  readonly stepId: string
  /** The token the call presented (the current one). */
  readonly token: string
  readonly nextToken: string
  /** The call's seq: the stored lease_seq must be seq - 1. */
  readonly seq: number
  readonly ttlSecs: number
  /** `start`: record started_at the first time. */
  readonly markStarted: boolean
  /** The reply without `lease_expires_at`, which is added here from the database clock. */
  readonly reply: Readonly<Record<string, unknown>>
}

/**
 * Applies one call of a remote lease's token chain (API.md §11.4): the presented token is
 * consumed (kept as prev_lease_token for a replay), `next_token` becomes current, the lease is
 * extended to now + ttl and the reply is stored. Fencing: only while the step is `running`, the
 * token is current and lease_seq is seq - 1, so two deliveries of one call apply once; 0 rows means
 * the caller re-reads and decides again (a replay, or the lease is gone). Returns the stored reply,
 * or null. One row update per call, never one per log line. Index: primary key.
 */
export async function advanceLease(db: Kysely<DB>, a: LeaseAdvance): Promise<unknown> {
  const { rows } = await sql<{ lease_reply: unknown }>`
    WITH t AS (SELECT now() + make_interval(secs => ${a.ttlSecs}) AS expires_at)
    UPDATE step_runs SET
      lease_token = ${a.nextToken},
      prev_lease_token = ${a.token},
      lease_seq = ${a.seq},
      lease_expires_at = t.expires_at,
      lease_reply = ${JSON.stringify(a.reply)}::jsonb || jsonb_build_object(
        'lease_expires_at',
        to_char(t.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
      started_at = CASE WHEN ${a.markStarted} THEN coalesce(started_at, now()) ELSE started_at END
    FROM t
    WHERE id = ${a.stepId} AND status = 'running' AND lease_token = ${a.token}
      AND lease_seq = ${a.seq - 1}
    RETURNING lease_reply`.execute(db)
  return rows[0]?.lease_reply ?? null
}
