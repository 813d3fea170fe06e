/**
 * state_snapshots rows: a task's state (or, with a null task, its workspace's), newest first. A
 * snapshot holds the values of state.json and the key of its files' archive (null: no files).
 */
import { sql, type Kysely } from 'kysely'
import type { DomainEvent } from '../../shared/events.ts'
import { lockStepFence, type FenceRefusal, type StepFence } from '../queries/lock-step-fence.ts'
import type { DB, StateSnapshotRow } from '../schema.ts'
import { withTransaction } from '../transaction.ts'
import { insertEvents } from './event.repository.ts'

export interface StateSnapshot {
  readonly id: string
  readonly workspace: string
  /** Null: the workspace's global state. */
  readonly taskName: string | null
  readonly jobId: string | null
  readonly state: Readonly<Record<string, unknown>>
  readonly filesKey: string | null
  readonly createdAt: Date
}

export type StateScope = 'task' | 'global'

export function toStateSnapshot(r: StateSnapshotRow): StateSnapshot {
  const state = typeof r.state === 'string' ? (JSON.parse(r.state) as unknown) : r.state
  return {
    id: r.id,
    workspace: r.workspace,
    taskName: r.task_name,
    jobId: r.job_id,
    state: (state ?? {}) as Record<string, unknown>,
    filesKey: r.files_key,
    createdAt: new Date(r.created_at),
  }
}

export type InsertSnapshotResult =
  | { readonly ok: true; readonly snapshot: StateSnapshot }
  | { readonly ok: false; readonly refusal: FenceRefusal }

/**
 * Records the snapshot a step produced (files already stored under `filesKey`), for its job's
 * task or its workspace, while the attempt still holds its lease (lock-step-fence.ts). It is
 * recorded before the attempt's completion, so a step that depends on this one sees it.
 */
export async function insertStepSnapshot(
  db: Kysely<DB>,
  s: { id: string; scope: StateScope; state: unknown; filesKey: string | null },
  fence: StepFence,
): Promise<InsertSnapshotResult> {
  return withTransaction(db, async (trx) => {
    const refusal = await lockStepFence(trx, fence)
    if (refusal) return { ok: false, refusal }
    const row = await trx
      .insertInto('state_snapshots')
      .columns(['id', 'workspace', 'task_name', 'job_id', 'state', 'files_key'])
      .expression((eb) =>
        eb
          .selectFrom('jobs')
          .select([
            sql.lit(s.id).as('id'),
            'workspace',
            s.scope === 'task' ? 'task_name' : sql<null>`NULL::text`.as('task_name'),
            'id as job_id',
            sql`${JSON.stringify(s.state)}::jsonb`.as('state'),
            sql<string | null>`${s.filesKey}::text`.as('files_key'),
          ])
          .where('id', '=', fence.jobId),
      )
      .returningAll()
      .executeTakeFirstOrThrow()
    return { ok: true, snapshot: toStateSnapshot(row) }
  })
}

/**
 * Records an uploaded snapshot with the job that stands for the upload (completed at once,
 * source type `upload`, no steps) and its `job.created` and `job.finished` events, last.
 */
export async function insertUploadedSnapshot(
  db: Kysely<DB>,
  u: {
    readonly snapshotId: string
    readonly jobId: string
    readonly workspace: string
    readonly taskName: string | null
    /** The job's task name (a global upload has no task of its own). */
    readonly jobTaskName: string
    readonly revision: string
    readonly sourceId: string | null
    readonly state: unknown
    readonly filesKey: string | null
    readonly input: Record<string, unknown>
  },
): Promise<StateSnapshot> {
  return withTransaction(db, async (trx) => {
    const job = await trx
      .insertInto('jobs')
      .values({
        id: u.jobId,
        workspace: u.workspace,
        task_name: u.jobTaskName,
        status: 'completed',
        source_type: 'upload',
        source_id: u.sourceId,
        input: JSON.stringify(u.input),
        revision: u.revision,
        started_at: sql<Date>`now()`,
        completed_at: sql<Date>`now()`,
      })
      .returning(['created_at', 'started_at', 'completed_at'])
      .executeTakeFirstOrThrow()
    const row = await trx
      .insertInto('state_snapshots')
      .values({
        id: u.snapshotId,
        workspace: u.workspace,
        task_name: u.taskName,
        job_id: u.jobId,
        state: JSON.stringify(u.state),
        files_key: u.filesKey,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
    const ref = { job_id: u.jobId, workspace: u.workspace, task_name: u.jobTaskName }
    const events: DomainEvent[] = [
      {
        type: 'job.created',
        data: { ...ref, status: 'completed', source_type: 'upload', source_id: u.sourceId },
      },
      {
        type: 'job.finished',
        data: {
          ...ref,
          status: 'completed',
          started_at: job.started_at?.toISOString() ?? null,
          completed_at: job.completed_at?.toISOString() ?? null,
        },
      },
    ]
    await insertEvents(trx, events)
    return toStateSnapshot(row)
  })
}

function ofScope(taskName: string | null) {
  return taskName === null ? sql<boolean>`task_name IS NULL` : sql<boolean>`task_name = ${taskName}`
}

/** The newest snapshot of a task (null task: the workspace's). Index: state_snapshots_latest. */
export async function findLatestSnapshot(
  db: Kysely<DB>,
  workspace: string,
  taskName: string | null,
): Promise<StateSnapshot | undefined> {
  const row = await db
    .selectFrom('state_snapshots')
    .selectAll()
    .where('workspace', '=', workspace)
    .where(ofScope(taskName))
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()
  return row ? toStateSnapshot(row) : undefined
}

export async function findSnapshot(db: Kysely<DB>, id: string): Promise<StateSnapshot | undefined> {
  const row = await db
    .selectFrom('state_snapshots')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst()
  return row ? toStateSnapshot(row) : undefined
}

/** A task's (or workspace's) snapshots, newest first: at most `limit`. Index: state_snapshots_latest. */
export async function listSnapshots(
  db: Kysely<DB>,
  workspace: string,
  taskName: string | null,
  limit = 1000,
): Promise<Array<Pick<StateSnapshot, 'id' | 'filesKey' | 'createdAt'>>> {
  const rows = await db
    .selectFrom('state_snapshots')
    .select(['id', 'files_key', 'created_at'])
    .where('workspace', '=', workspace)
    .where(ofScope(taskName))
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute()
  return rows.map((r) => ({ id: r.id, filesKey: r.files_key, createdAt: new Date(r.created_at) }))
}

export async function deleteSnapshots(db: Kysely<DB>, ids: ReadonlyArray<string>): Promise<void> {
  if (ids.length === 0) return
  await db
    .deleteFrom('state_snapshots')
    .where('id', 'in', [...ids])
    .execute()
}
