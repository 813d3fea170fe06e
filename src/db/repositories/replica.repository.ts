/** replicas rows: each `weir serve` on PostgreSQL heartbeats its row; a lapsed row means a dead replica. */
import { sql, type Kysely } from 'kysely'
import type { DB } from '../schema.ts'

/** Inserts or refreshes this replica's row (last_seen_at = now()). */
export async function touchReplica(
  db: Kysely<DB>,
  id: string,
  internalUrl: string | null,
): Promise<void> {
  await db
    .insertInto('replicas')
    .values({ id, internal_url: internalUrl })
    .onConflict((oc) =>
      oc.column('id').doUpdateSet({ last_seen_at: sql`now()`, internal_url: internalUrl }),
    )
    .execute()
}

/** Removes this replica's row on a clean stop, so its logs are handed over at once. */
export async function deleteReplica(db: Kysely<DB>, id: string): Promise<void> {
  await db.deleteFrom('replicas').where('id', '=', id).execute()
}

/** Replicas seen within `lapseSecs`, this one included if it is. */
export async function countLiveReplicas(db: Kysely<DB>, lapseSecs: number): Promise<number> {
  const row = await db
    .selectFrom('replicas')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('last_seen_at', '>', sql<Date>`now() - make_interval(secs => ${lapseSecs})`)
    .executeTakeFirst()
  return Number(row?.n ?? 0)
}
