/** trigger_state rows: the scheduler's persisted view of each cron trigger. */
import type { Kysely } from 'kysely'
import type { DB } from '../schema.ts'

export interface TriggerFireRecord {
  readonly lastFiredAt: Date | null
  readonly lastJobId: string | null
}

/** Last fire (time and job) per trigger name of one workspace. */
export async function listTriggerFires(
  db: Kysely<DB>,
  workspace: string,
): Promise<Map<string, TriggerFireRecord>> {
  const rows = await db
    .selectFrom('trigger_state')
    .select(['trigger_name', 'last_fired_at', 'last_job_id'])
    .where('workspace', '=', workspace)
    .execute()
  return new Map(
    rows.map((r) => [r.trigger_name, { lastFiredAt: r.last_fired_at, lastJobId: r.last_job_id }]),
  )
}
