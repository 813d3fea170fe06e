/** job_events rows: inserted last in the transaction that caused them, read by the event hub and SSE. */
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely'
import type { DomainEvent } from '../../shared/events.ts'
import type { DB, JobEventRow } from '../schema.ts'

/** The transaction-scoped advisory lock all event inserts take: the ASCII bytes of "weirevts". */
export const EVENTS_LOCK_KEY = '8603398603210650739'

/** An event as stored, with the id SSE clients resume from. */
export interface StoredEvent {
  readonly id: number
  readonly type: string
  readonly jobId: string | null
  readonly workspace: string | null
  readonly data: Readonly<Record<string, unknown>>
  readonly at: Date
}

export interface EventFilter {
  readonly workspace?: string
  readonly jobId?: string
  /** Any of these types; undefined means every type. */
  readonly types?: ReadonlyArray<string>
}

function toStoredEvent(row: JobEventRow): StoredEvent {
  const payload =
    typeof row.payload === 'string' ? (JSON.parse(row.payload) as unknown) : row.payload
  return {
    id: Number(row.id),
    type: row.type,
    jobId: row.job_id,
    workspace: row.workspace,
    data: (payload ?? {}) as Record<string, unknown>,
    at: new Date(row.at),
  }
}

/**
 * Inserts a transaction's events. It MUST be the transaction's last statement before COMMIT.
 *
 * Invariant (events in commit order, API.md §8): an event id is visible only once every smaller
 * id that will ever commit is visible, so a reader that has seen id n+1 can never later find n.
 * The bigserial is drawn after `pg_advisory_xact_lock(EVENTS_LOCK_KEY)`, and that lock is held
 * until COMMIT, which makes the transaction visible before it releases its locks; the next
 * inserter can only draw its ids after that. No deadlock: the lock is taken last, and a holder
 * waits on nothing but its own COMMIT. The cost is that event-inserting transactions commit one at
 * a time (their last statement and COMMIT only). Rolled-back transactions leave gaps, which SSE
 * allows. No NOTIFY: another replica's hub
 * polls while it has SSE subscribers (a NOTIFY per transaction would serialise commits a second
 * time on the server's notification queue).
 */
export async function insertEvents(
  trx: Transaction<DB>,
  events: ReadonlyArray<DomainEvent>,
): Promise<void> {
  if (events.length === 0) return
  await sql`WITH ${eventsInsert(events)} SELECT 1`.execute(trx)
}

/**
 * The CTEs `held` and `events_inserted` of an events insert (insertEvents' rule), for statements
 * that insert events along with other rows: `WITH …, ${eventsInsert(events)} SELECT …`. Each row
 * comes out of a join with the lock's CTE, so each id (the column default, drawn when the row is
 * inserted) is drawn after the lock is held. No events: no lock.
 */
export function eventsInsert(
  events: ReadonlyArray<DomainEvent>,
  /** Inserts (and locks) only when this SQL condition holds. */
  guard: RawBuilder<unknown> = sql`true`,
): RawBuilder<unknown> {
  const rows = events.map((e) => {
    const data = e.data as { job_id?: string; workspace?: string }
    return {
      job_id: data.job_id ?? null,
      workspace: data.workspace ?? null,
      type: e.type,
      payload: e.data,
    }
  })
  return sql`held AS MATERIALIZED (
      SELECT pg_advisory_xact_lock(${EVENTS_LOCK_KEY}::bigint) WHERE ${rows.length > 0} AND ${guard}
    ), events_inserted AS (
      INSERT INTO job_events (job_id, workspace, type, payload)
      SELECT (t.e->>'job_id')::uuid, t.e->>'workspace', t.e->>'type', t.e->'payload'
        FROM held, jsonb_array_elements(${JSON.stringify(rows)}::jsonb) WITH ORDINALITY AS t(e, n)
       ORDER BY t.n
    )`
}

/** Events with id > afterId (and <= upTo when given) matching the filter, in id order. */
export async function listEventsAfter(
  db: Kysely<DB>,
  afterId: number,
  opts: { readonly filter?: EventFilter; readonly limit: number; readonly upTo?: number },
): Promise<StoredEvent[]> {
  const f = opts.filter ?? {}
  let q = db.selectFrom('job_events').selectAll().where('id', '>', String(afterId))
  if (opts.upTo !== undefined) q = q.where('id', '<=', String(opts.upTo))
  if (f.workspace !== undefined) q = q.where('workspace', '=', f.workspace)
  if (f.jobId !== undefined) q = q.where('job_id', '=', f.jobId)
  if (f.types !== undefined) q = q.where('type', 'in', f.types.length > 0 ? [...f.types] : [''])
  const rows = await q.orderBy('id').limit(opts.limit).execute()
  return rows.map(toStoredEvent)
}

/** The smallest retained id, or null when the table is empty. */
export async function oldestEventId(db: Kysely<DB>): Promise<number | null> {
  const row = await db
    .selectFrom('job_events')
    .select((eb) => eb.fn.min('id').as('id'))
    .executeTakeFirst()
  return row?.id === null || row?.id === undefined ? null : Number(row.id)
}

/**
 * The largest visible id (0 when none): where a live-only reader starts. By the insert invariant
 * every smaller id that will ever commit is already visible.
 */
export async function latestEventId(db: Kysely<DB>): Promise<number> {
  const row = await db
    .selectFrom('job_events')
    .select((eb) => eb.fn.max('id').as('id'))
    .executeTakeFirst()
  return row?.id === null || row?.id === undefined ? 0 : Number(row.id)
}

/**
 * Retention: deletes up to `batch` events older than `maxAgeSecs` (by the database clock, or
 * `now` when a test steers time), oldest first; returns how many went. Index: job_events_at.
 */
export async function deleteOldEvents(
  db: Kysely<DB>,
  opts: { readonly maxAgeSecs: number; readonly batch: number; readonly now?: Date },
): Promise<number> {
  const now = opts.now ? sql`${opts.now}::timestamptz` : sql`now()`
  const res = await db
    .deleteFrom('job_events')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('job_events')
        .select('id')
        .where('at', '<', sql<Date>`${now} - make_interval(secs => ${opts.maxAgeSecs})`)
        .orderBy('id')
        .limit(opts.batch),
    )
    .executeTakeFirst()
  return Number(res.numDeletedRows)
}
