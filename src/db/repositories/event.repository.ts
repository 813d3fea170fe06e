/** job_events rows: inserted in the transaction that caused them; ids stamped later (§6). */
import type { Kysely, Transaction } from 'kysely'
import type { DomainEvent } from '../../shared/events.ts'
import type { DB, JobEventRow } from '../schema.ts'

/** A job_events row once the sequencer has given it an id. */
export interface StoredEvent {
  id: number
  type: string
  jobId: string | null
  workspace: string | null
  data: Record<string, unknown>
  at: Date
}

export interface EventFilters {
  workspace?: string
  jobId?: string
  /** Any of these types; undefined or empty means every type. */
  types?: ReadonlyArray<string>
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

export async function insertEvents(
  trx: Transaction<DB>,
  events: ReadonlyArray<DomainEvent>,
): Promise<void> {
  if (events.length === 0) return
  await trx
    .insertInto('job_events')
    .values(
      events.map((e) => {
        const data = e.data as { job_id?: string; workspace?: string }
        return {
          job_id: data.job_id ?? null,
          workspace: data.workspace ?? null,
          type: e.type,
          payload: JSON.stringify(e.data),
        }
      }),
    )
    .execute()
}

/** Stamped events with id > afterId matching the filters, in id order. */
export async function listEventsAfter(
  db: Kysely<DB>,
  afterId: number,
  filters: EventFilters,
  limit: number,
): Promise<StoredEvent[]> {
  let q = db
    .selectFrom('job_events')
    .selectAll()
    .where('id', 'is not', null)
    .where('id', '>', String(afterId))
  if (filters.workspace !== undefined) q = q.where('workspace', '=', filters.workspace)
  if (filters.jobId !== undefined) q = q.where('job_id', '=', filters.jobId)
  if (filters.types !== undefined && filters.types.length > 0)
    q = q.where('type', 'in', [...filters.types])
  const rows = await q.orderBy('id').limit(limit).execute()
  return rows.map(toStoredEvent)
}

/** The smallest retained id, or null when no event is stamped. */
export async function oldestEventId(db: Kysely<DB>): Promise<number | null> {
  const row = await db
    .selectFrom('job_events')
    .select((eb) => eb.fn.min('id').as('id'))
    .where('id', 'is not', null)
    .executeTakeFirst()
  return row?.id === null || row?.id === undefined ? null : Number(row.id)
}

/** The largest stamped id, or null when none is: where a live-only stream starts. */
export async function latestEventId(db: Kysely<DB>): Promise<number | null> {
  const row = await db
    .selectFrom('job_events')
    .select((eb) => eb.fn.max('id').as('id'))
    .where('id', 'is not', null)
    .executeTakeFirst()
  return row?.id === null || row?.id === undefined ? null : Number(row.id)
}

/**
 * Retention: deletes stamped events older than `cutoff` and returns how many. Unstamped rows stay
 * until the sequencer numbers them, so no event is removed before it could be delivered.
 */
export async function deleteEventsBefore(db: Kysely<DB>, cutoff: Date): Promise<number> {
  const res = await db
    .deleteFrom('job_events')
    .where('at', '<', cutoff)
    .where('id', 'is not', null)
    .executeTakeFirst()
  return Number(res.numDeletedRows)
}
