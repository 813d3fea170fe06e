/**
 * Job lists that stay fast at a million rows: one index per combination of the equality filters
 * GET /api/jobs allows (workspace, task_name, status, source_type), each ending in the list's
 * order (created_at DESC, id DESC), so any first page or cursor page reads about `limit` index
 * entries whatever the filters and however rare their matches. Existing indexes already serve no
 * filter, workspace, workspace + task and status alone. Frozen in time: never import app code here.
 */
import { sql, type Kysely } from 'kysely'

const ORDER = 'created_at DESC, id DESC'

/** Index name → its equality columns. */
const LIST_INDEXES: Record<string, string> = {
  jobs_ws_status_created: 'workspace, status',
  jobs_ws_task_status_created: 'workspace, task_name, status',
  jobs_src_created: 'source_type',
  jobs_status_src_created: 'status, source_type',
  jobs_ws_src_created: 'workspace, source_type',
  jobs_ws_status_src_created: 'workspace, status, source_type',
  jobs_ws_task_src_created: 'workspace, task_name, source_type',
  jobs_ws_task_status_src_created: 'workspace, task_name, status, source_type',
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  for (const [name, columns] of Object.entries(LIST_INDEXES))
    await sql.raw(`CREATE INDEX ${name} ON jobs (${columns}, ${ORDER})`).execute(db)
}
