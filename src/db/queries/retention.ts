/**
 * Retention's statements. A job is deleted in three steps so that a crash at any point is
 * finished by the next pass: mark it (purge_started_at), delete its files, then its rows (steps,
 * artifacts and forwarded lines by cascade; its events here; state snapshots keep their values
 * and lose the link). Only terminal jobs are taken, never a child whose parent still runs.
 */
import { sql, type Expression, type Kysely, type SqlBool } from 'kysely'
import type { ExpressionBuilder } from 'kysely'
import { TERMINAL_JOB_STATUSES } from '../../shared/statuses.ts'
import type { DB } from '../schema.ts'

export type Scope = { readonly only: string } | { readonly except: ReadonlyArray<string> }

export interface ExpiryQuery {
  readonly scope: Scope
  readonly cutoff: Date
}

const TERMINAL = [...TERMINAL_JOB_STATUSES]

function expired(eb: ExpressionBuilder<DB, 'jobs'>, q: ExpiryQuery): Expression<SqlBool> {
  const inScope =
    'only' in q.scope
      ? eb('jobs.workspace', '=', q.scope.only)
      : q.scope.except.length > 0
        ? eb('jobs.workspace', 'not in', [...q.scope.except])
        : sql<SqlBool>`true`
  return eb.and([
    inScope,
    eb('jobs.created_at', '<', q.cutoff),
    eb('jobs.status', 'in', TERMINAL),
    eb.or([eb('jobs.completed_at', 'is', null), eb('jobs.completed_at', '<', q.cutoff)]),
    eb('jobs.purge_started_at', 'is', null),
    eb.not(
      eb.exists(
        eb
          .selectFrom('jobs as parent')
          .select(sql`1`.as('one'))
          .whereRef('parent.id', '=', 'jobs.parent_job_id')
          .where('parent.status', 'not in', TERMINAL),
      ),
    ),
  ])
}

/** Marks up to `batch` expired jobs, oldest first; returns their ids. */
export async function markExpiredJobs(
  db: Kysely<DB>,
  q: ExpiryQuery,
  batch: number,
  now: Date,
): Promise<string[]> {
  const rows = await db
    .updateTable('jobs')
    .set({ purge_started_at: now })
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('jobs')
        .select('jobs.id')
        .where((e) => expired(e, q))
        .orderBy('jobs.created_at')
        .limit(batch)
        .forUpdate()
        .skipLocked(),
    )
    .returning('id')
    .execute()
  return rows.map((r) => r.id)
}

/** Jobs marked by a pass that did not finish (oldest mark first). */
export async function listPurgingJobs(db: Kysely<DB>, batch: number): Promise<string[]> {
  const rows = await db
    .selectFrom('jobs')
    .select('id')
    .where('purge_started_at', 'is not', null)
    .orderBy('purge_started_at')
    .limit(batch)
    .execute()
  return rows.map((r) => r.id)
}

/** Deletes the rows of marked jobs (never an unmarked one); returns what went. */
export async function deletePurgedJobs(
  db: Kysely<DB>,
  ids: ReadonlyArray<string>,
): Promise<{ jobs: number; steps: number }> {
  if (ids.length === 0) return { jobs: 0, steps: 0 }
  return db.transaction().execute(async (tx) => {
    const marked = (
      await tx
        .selectFrom('jobs')
        .select('id')
        .where('id', 'in', [...ids])
        .where('purge_started_at', 'is not', null)
        .forUpdate()
        .execute()
    ).map((r) => r.id)
    if (marked.length === 0) return { jobs: 0, steps: 0 }
    const steps = await tx.deleteFrom('step_runs').where('job_id', 'in', marked).executeTakeFirst()
    await tx.deleteFrom('job_events').where('job_id', 'in', marked).execute()
    const jobs = await tx.deleteFrom('jobs').where('id', 'in', marked).executeTakeFirst()
    return { jobs: Number(jobs.numDeletedRows), steps: Number(steps.numDeletedRows) }
  })
}

/** What a pass would delete under `q`: jobs and their steps (for `weir prune --dry-run`). */
export async function countExpiredJobs(
  db: Kysely<DB>,
  q: ExpiryQuery,
): Promise<{ jobs: number; steps: number; oldest: Date | null }> {
  const row = await db
    .selectFrom('jobs')
    .select((eb) => [
      eb.fn.countAll<string>().as('jobs'),
      eb.fn.min('jobs.created_at').as('oldest'),
      eb
        .selectFrom('step_runs')
        .select((s) => s.fn.countAll<string>().as('n'))
        .where('step_runs.job_id', 'in', (j) =>
          j
            .selectFrom('jobs')
            .select('jobs.id')
            .where((e) => expired(e, q)),
        )
        .as('steps'),
    ])
    .where((e) => expired(e, q))
    .executeTakeFirstOrThrow()
  return {
    jobs: Number(row.jobs),
    steps: Number(row.steps ?? 0),
    oldest: row.oldest === null ? null : new Date(row.oldest),
  }
}

/** Lost or revoked workers unseen since `cutoff` (their rows only: no step points at them). */
export async function deleteStaleWorkers(
  db: Kysely<DB>,
  cutoff: Date,
  dryRun = false,
): Promise<number> {
  const stale = (eb: ExpressionBuilder<DB, 'workers'>) =>
    eb.and([
      eb('status', 'in', ['lost', 'revoked']),
      eb(eb.fn.coalesce('last_heartbeat', 'registered_at'), '<', cutoff),
    ])
  if (dryRun) {
    const r = await db
      .selectFrom('workers')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where(stale)
      .executeTakeFirstOrThrow()
    return Number(r.n)
  }
  const res = await db.deleteFrom('workers').where(stale).executeTakeFirst()
  return Number(res.numDeletedRows)
}

/** Those of `ids` that have artifacts (their files are deleted before their rows). */
export async function jobsWithArtifacts(
  db: Kysely<DB>,
  ids: ReadonlyArray<string>,
): Promise<string[]> {
  if (ids.length === 0) return []
  const rows = await db
    .selectFrom('artifacts')
    .select('job_id')
    .distinct()
    .where('job_id', 'in', [...ids])
    .execute()
  return rows.map((r) => r.job_id)
}
