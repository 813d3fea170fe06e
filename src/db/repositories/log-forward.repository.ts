/**
 * Logs across replicas (ARCHITECTURE.md §10): who owns a job's log, the lines other replicas hand
 * to that owner (log_forward), and the hand-over of a dead owner's open logs.
 */
import { sql, type Kysely } from 'kysely'
import type { DB } from '../schema.ts'

/** Wakes a log owner to drain its forwards; the payload is the owner's replica id. */
export const LOG_FORWARD_CHANNEL = 'weir_log_fwd'

export interface ForwardedLine {
  readonly ts: string
  readonly stream: 'stdout' | 'stderr'
  readonly step: string
  readonly line: string
  /** A piece of a cut line whose next piece follows (the owner's scrubber joins them). */
  readonly continues?: boolean
}

export interface LogForward {
  readonly id: number
  readonly jobId: string
  readonly lines: ReadonlyArray<ForwardedLine>
  /** Set on the row that ends the log: its one line is the last, then log_last_seq is stored. */
  readonly endStatus: string | null
}

export interface JobLogState {
  readonly jobId: string
  readonly owner: string | null
  readonly status: string
  readonly logLastSeq: number | null
}

/** The replica that owns a job's log, or undefined for an unknown job. */
export async function findJobLogOwner(
  db: Kysely<DB>,
  jobId: string,
): Promise<{ owner: string | null } | undefined> {
  const row = await db
    .selectFrom('jobs')
    .select('log_owner')
    .where('id', '=', jobId)
    .executeTakeFirst()
  return row ? { owner: row.log_owner } : undefined
}

/** Owner, status and log end of several jobs at once (the remote followers' safety check). */
export async function listJobLogStates(
  db: Kysely<DB>,
  jobIds: ReadonlyArray<string>,
): Promise<JobLogState[]> {
  if (jobIds.length === 0) return []
  const rows = await db
    .selectFrom('jobs')
    .select(['id', 'log_owner', 'status', 'log_last_seq'])
    .where('id', 'in', [...jobIds])
    .execute()
  return rows.map((r) => ({
    jobId: r.id,
    owner: r.log_owner,
    status: r.status,
    logLastSeq: r.log_last_seq,
  }))
}

/**
 * Queues lines for the owner of a job's log and wakes it, in one statement (one round trip; the
 * NOTIFY is delivered when the row commits). Callers send one job's rows one at a time, so
 * within one replica a job's rows commit in id order.
 */
export async function insertLogForward(
  db: Kysely<DB>,
  f: {
    readonly jobId: string
    readonly lines: ReadonlyArray<ForwardedLine>
    readonly endStatus: string | null
    readonly owner: string
  },
): Promise<void> {
  await sql`
    WITH ins AS (
      INSERT INTO log_forward (job_id, lines, end_status)
      VALUES (${f.jobId}, ${JSON.stringify(f.lines)}::jsonb, ${f.endStatus})
      RETURNING id
    )
    SELECT pg_notify(${LOG_FORWARD_CHANNEL}, ${f.owner}) FROM ins`.execute(db)
}

/** Forwards waiting for the logs `owner` holds, in id order. Index: log_forward_job, jobs pkey. */
export async function listForwardsForOwner(
  db: Kysely<DB>,
  owner: string,
  limit: number,
): Promise<LogForward[]> {
  const rows = await db
    .selectFrom('log_forward as f')
    .innerJoin('jobs as j', 'j.id', 'f.job_id')
    .select(['f.id', 'f.job_id', 'f.lines', 'f.end_status'])
    .where('j.log_owner', '=', owner)
    .orderBy('f.id')
    .limit(limit)
    .execute()
  return rows.map((r) => ({
    id: Number(r.id),
    jobId: r.job_id,
    lines: (typeof r.lines === 'string' ? JSON.parse(r.lines) : r.lines) as ForwardedLine[],
    endStatus: r.end_status,
  }))
}

/** Removes drained forwards (after their lines were appended: at-least-once). */
export async function deleteForwards(db: Kysely<DB>, ids: ReadonlyArray<number>): Promise<void> {
  if (ids.length === 0) return
  await db
    .deleteFrom('log_forward')
    .where(
      'id',
      'in',
      ids.map((id) => String(id)),
    )
    .execute()
}

/**
 * Leader only: gives `to` the open logs (no log_last_seq yet) of owners whose replica row is
 * missing or has not been seen for `lapseSecs`, for jobs still active or with forwards waiting.
 * Returns the jobs taken over with their status. Conditional on the owner being dead at the time
 * of the update, so a repeated or concurrent run takes nothing twice. Jobs younger than the lapse
 * are left alone: their creator may not have written its first heartbeat yet. Indexes: jobs_active
 * (the jobs still pending or running) and log_forward's job index.
 */
export async function takeOverDeadOwnersLogs(
  db: Kysely<DB>,
  to: string,
  lapseSecs: number,
): Promise<Array<{ jobId: string; status: string }>> {
  const { rows } = await sql<{ id: string; status: string }>`
    WITH open AS MATERIALIZED (
      SELECT a.id FROM jobs a WHERE a.status IN ('pending', 'running')
      UNION
      SELECT f.job_id FROM log_forward f
    )
    UPDATE jobs j SET log_owner = ${to}
    FROM open o
    WHERE j.id = o.id
      AND j.log_last_seq IS NULL
      AND j.log_owner IS NOT NULL AND j.log_owner <> ${to}
      AND j.created_at < now() - make_interval(secs => ${lapseSecs})
      AND NOT EXISTS (
        SELECT 1 FROM replicas r
        WHERE r.id = j.log_owner AND r.last_seen_at > now() - make_interval(secs => ${lapseSecs})
      )
    RETURNING j.id, j.status`.execute(db)
  return rows.map((r) => ({ jobId: r.id, status: r.status }))
}
