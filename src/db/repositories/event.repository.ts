/** job_events rows: inserted in the transaction that caused them; ids stamped later (§6). */
import type { Transaction } from 'kysely'
import type { DomainEvent } from '../../shared/events.ts'
import type { DB } from '../schema.ts'

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
