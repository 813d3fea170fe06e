/** workers rows: the embedded worker, remote registrations, heartbeats, drains and revocations. */
import { sql, type Kysely } from 'kysely'
import type {
  WorkerListFilter,
  WorkerRecord,
  WorkerStepRecord,
} from '../../workers/worker-record.ts'
import type { WorkerStatus } from '../../shared/statuses.ts'
import type { DB, WorkerRow } from '../schema.ts'

export async function insertEmbeddedWorker(
  db: Kysely<DB>,
  w: {
    id: string
    name: string
    hostname: string
    version: string
    maxConcurrency: number
    capabilities: ReadonlyArray<string>
  },
): Promise<void> {
  await db
    .insertInto('workers')
    .values({
      id: w.id,
      name: w.name,
      kind: 'embedded',
      status: 'active',
      tags: '[]',
      capabilities: JSON.stringify(w.capabilities),
      version: w.version,
      hostname: w.hostname,
      max_concurrency: w.maxConcurrency,
      last_heartbeat: sql<Date>`now()`,
    })
    .execute()
}

export async function markWorkerRevoked(db: Kysely<DB>, id: string): Promise<void> {
  await db
    .updateTable('workers')
    .set({ status: 'revoked', revoked_at: sql<Date>`now()` })
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

type WorkerRowWithCount = WorkerRow & { running_steps: string | number }

function toWorker(r: WorkerRowWithCount): WorkerRecord {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    status: r.status,
    tags: (r.tags ?? []) as string[],
    capabilities: (r.capabilities ?? []) as string[],
    version: r.version,
    hostname: r.hostname,
    maxConcurrency: r.max_concurrency,
    runningSteps: Number(r.running_steps),
    bootId: r.boot_id,
    lastHeartbeat: r.last_heartbeat,
    registeredAt: r.registered_at,
    drainingSince: r.draining_since,
    drainReason: r.drain_reason,
    drainedBy: r.drained_by,
  }
}

function selectWorkers(db: Kysely<DB>) {
  return db
    .selectFrom('workers as w')
    .selectAll('w')
    .select((eb) =>
      eb
        .selectFrom('step_runs as s')
        .select(eb.fn.countAll<string>().as('n'))
        .whereRef('s.worker_id', '=', 'w.id')
        .where('s.status', '=', 'running')
        .as('running_steps'),
    )
}

export async function insertRemoteWorker(
  db: Kysely<DB>,
  w: {
    id: string
    name: string
    hostname: string | null
    version: string | null
    capabilities: ReadonlyArray<string>
    tags: ReadonlyArray<string>
    maxConcurrency: number
    secretHash: string
  },
): Promise<void> {
  await db
    .insertInto('workers')
    .values({
      id: w.id,
      name: w.name,
      kind: 'remote',
      status: 'active',
      tags: JSON.stringify(w.tags),
      capabilities: JSON.stringify(w.capabilities),
      version: w.version,
      hostname: w.hostname,
      max_concurrency: w.maxConcurrency,
      secret_hash: w.secretHash,
      last_heartbeat: sql<Date>`now()`,
    })
    .execute()
}

async function findWorkerWhere(
  db: Kysely<DB>,
  column: 'w.secret_hash' | 'w.id',
  value: string,
): Promise<WorkerRecord | undefined> {
  const row = await selectWorkers(db).where(column, '=', value).executeTakeFirst()
  return row ? toWorker(row as WorkerRowWithCount) : undefined
}

/** The worker a secret belongs to (revoked ones included, so the caller can say so). */
export function findWorkerBySecretHash(
  db: Kysely<DB>,
  secretHash: string,
): Promise<WorkerRecord | undefined> {
  return findWorkerWhere(db, 'w.secret_hash', secretHash)
}

export function findWorkerById(db: Kysely<DB>, id: string): Promise<WorkerRecord | undefined> {
  return findWorkerWhere(db, 'w.id', id)
}

/** Sorted by status (active, draining, lost, revoked), then registered_at desc, then id. */
export async function listWorkers(
  db: Kysely<DB>,
  f: WorkerListFilter,
): Promise<{ workers: WorkerRecord[]; total: number | null }> {
  const rank = sql<number>`CASE w.status WHEN 'active' THEN 0 WHEN 'draining' THEN 1 WHEN 'lost' THEN 2 ELSE 3 END`
  let page = selectWorkers(db)
    .orderBy(rank)
    .orderBy('w.registered_at', 'desc')
    .orderBy('w.id', 'desc')
    .limit(f.limit)
  if (f.offset > 0) page = page.offset(f.offset)
  const [rows, total] = await Promise.all([
    page.execute(),
    f.count
      ? db
          .selectFrom('workers')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirst()
      : undefined,
  ])
  return {
    workers: rows.map((r) => toWorker(r as WorkerRowWithCount)),
    total: total ? Number(total.n) : null,
  }
}

/** Up to `limit` steps the worker ran, newest claim first. Index: step_runs_worker. */
export async function listRecentStepsOfWorker(
  db: Kysely<DB>,
  workerId: string,
  limit = 50,
): Promise<WorkerStepRecord[]> {
  const rows = await db
    .selectFrom('step_runs as s')
    .innerJoin('jobs as j', 'j.id', 's.job_id')
    .select([
      's.job_id',
      'j.workspace',
      'j.task_name',
      'j.status as job_status',
      's.step_name',
      's.status as step_status',
      's.started_at',
      's.completed_at',
    ])
    .where('s.worker_id', '=', workerId)
    .orderBy('s.claimed_at', 'desc')
    .orderBy('s.id', 'desc')
    .limit(limit)
    .execute()
  return rows.map((r) => ({
    jobId: r.job_id,
    workspace: r.workspace,
    taskName: r.task_name,
    jobStatus: r.job_status,
    stepName: r.step_name,
    stepStatus: r.step_status,
    startedAt: r.started_at,
    completedAt: r.completed_at,
  }))
}

/**
 * Drains a worker (or updates the reason of a drain). A `lost` worker stays `lost` (that status
 * wins) and comes back as `draining`. Returns false for a revoked or unknown worker.
 */
export async function setWorkerDrain(
  db: Kysely<DB>,
  id: string,
  d: { reason: string | null; by: 'operator' | 'worker' },
): Promise<boolean> {
  const res = await db
    .updateTable('workers')
    .set((eb) => ({
      status: sql<WorkerStatus>`CASE WHEN status = 'lost' THEN 'lost' ELSE 'draining' END`,
      draining_since: eb.fn.coalesce('draining_since', sql<Date>`now()`),
      drain_reason: d.reason,
      // An operator's drain stays the operator's, so the worker cannot undo it.
      drained_by: d.by === 'operator' ? 'operator' : sql<string>`coalesce(drained_by, 'worker')`,
    }))
    .where('id', '=', id)
    .where('status', '<>', 'revoked')
    .executeTakeFirst()
  return Number(res.numUpdatedRows) === 1
}

/** Clears any drain; false for a revoked or unknown worker. */
export async function clearWorkerDrain(db: Kysely<DB>, id: string): Promise<boolean> {
  const res = await db
    .updateTable('workers')
    .set({
      status: sql<WorkerStatus>`CASE WHEN status = 'draining' THEN 'active' ELSE status END`,
      draining_since: null,
      drain_reason: null,
      drained_by: null,
    })
    .where('id', '=', id)
    .where('status', '<>', 'revoked')
    .executeTakeFirst()
  return Number(res.numUpdatedRows) === 1
}

/** Revokes a worker (final); false when it was already revoked or does not exist. */
export async function revokeWorker(db: Kysely<DB>, id: string): Promise<boolean> {
  const res = await db
    .updateTable('workers')
    .set({ status: 'revoked', revoked_at: sql<Date>`now()` })
    .where('id', '=', id)
    .where('status', '<>', 'revoked')
    .executeTakeFirst()
  return Number(res.numUpdatedRows) === 1
}
