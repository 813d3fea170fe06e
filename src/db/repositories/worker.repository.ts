/** workers rows. */
import type { Kysely } from 'kysely'
import type { DB } from '../schema.ts'

export async function insertEmbeddedWorker(
  db: Kysely<DB>,
  w: { id: string; name: string; hostname: string; version: string; maxConcurrency: number },
): Promise<void> {
  await db
    .insertInto('workers')
    .values({
      id: w.id,
      name: w.name,
      kind: 'embedded',
      status: 'active',
      tags: '[]',
      capabilities: JSON.stringify(['script']),
      version: w.version,
      hostname: w.hostname,
      max_concurrency: w.maxConcurrency,
      last_heartbeat: new Date(),
    })
    .execute()
}

export async function markWorkerRevoked(db: Kysely<DB>, id: string): Promise<void> {
  await db
    .updateTable('workers')
    .set({ status: 'revoked', revoked_at: new Date() })
    .where('id', '=', id)
    .execute()
}

export async function findWorkerNames(
  db: Kysely<DB>,
  ids: ReadonlyArray<string>,
): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map()
  const rows = await db
    .selectFrom('workers')
    .select(['id', 'name'])
    .where('id', 'in', [...new Set(ids)])
    .execute()
  return new Map(rows.map((r) => [r.id, r.name]))
}

/** Running steps held by embedded workers other than `keep`: orphans of a previous process. */
export async function expireLeasesOfOtherEmbeddedWorkers(
  db: Kysely<DB>,
  keep: string,
): Promise<number> {
  const res = await db
    .updateTable('step_runs')
    .set({ lease_expires_at: new Date(0) })
    .where('status', '=', 'running')
    .where('worker_id', '!=', keep)
    .where('worker_id', 'in', (eb) =>
      eb.selectFrom('workers').select('id').where('kind', '=', 'embedded'),
    )
    .executeTakeFirst()
  return Number(res.numUpdatedRows)
}
