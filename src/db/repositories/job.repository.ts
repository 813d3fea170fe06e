/** jobs and their step rows: insert, lock, read, list. */
import { sql, type Kysely, type Transaction } from 'kysely'
import type { JobChanges } from '../../flow/move-effects.ts'
import type { Job, JobListFilter, StepRun } from '../../flow/job.ts'
import type { StepSpec } from '../../flow/step-spec.ts'
import { NotFoundError } from '../../shared/errors.ts'
import type { BoundedCount } from '../../shared/bounded-count.ts'
import { boundedCount } from '../queries/bounded-count.ts'
import type { DB, JobRow, StepRunRow } from '../schema.ts'

const json = (v: unknown): string => JSON.stringify(v ?? null)

export function toJob(r: JobRow): Job {
  return {
    id: r.id,
    workspace: r.workspace,
    taskName: r.task_name,
    mode: r.mode,
    status: r.status,
    sourceType: r.source_type,
    sourceId: r.source_id,
    input: (r.input ?? {}) as Record<string, unknown>,
    rawInput: r.raw_input ?? null,
    output: r.output ?? null,
    errorMessage: r.error_message,
    revision: r.revision,
    retryOfJobId: r.retry_of_job_id,
    idempotencyKey: r.idempotency_key,
    cancelRequestedAt: r.cancel_requested_at,
    timeoutAt: r.timeout_at,
    createdAt: r.created_at,
    startedAt: r.started_at,
    completedAt: r.completed_at,
    logLastSeq: r.log_last_seq,
    parentJobId: r.parent_job_id ?? null,
    parentStepName: r.parent_step_name ?? null,
    sourceJobId: r.source_job_id ?? null,
    depth: r.depth ?? 0,
  }
}

export function toStepRun(r: StepRunRow): StepRun {
  return {
    id: r.id,
    jobId: r.job_id,
    name: r.step_name,
    position: r.position,
    actionName: r.action_name,
    actionType: r.action_type,
    runner: r.runner,
    status: r.status,
    spec: r.spec as StepSpec,
    dependsOn: r.depends_on as string[],
    input: r.input ?? null,
    output: r.output ?? null,
    exitCode: r.exit_code,
    errorMessage: r.error_message,
    attempt: r.attempt,
    workerId: r.worker_id,
    leaseToken: r.lease_token,
    leaseExpiresAt: r.lease_expires_at,
    stopReason: r.stop_reason,
    readyAt: r.ready_at,
    claimedAt: r.claimed_at,
    startedAt: r.started_at,
    completedAt: r.completed_at,
    suspendedAt: r.suspended_at ?? null,
    loopSource: r.loop_source ?? null,
    loopIndex: r.loop_index ?? null,
    loopTotal: r.loop_total ?? null,
    childJobId: r.child_job_id ?? null,
  }
}

export async function findJobIdByIdempotencyKey(
  db: Kysely<DB>,
  workspace: string,
  taskName: string,
  key: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('jobs')
    .select('id')
    .where('workspace', '=', workspace)
    .where('task_name', '=', taskName)
    .where('idempotency_key', '=', key)
    .executeTakeFirst()
  return row?.id
}

/**
 * Locks the job row: every change to a job's steps after creation starts here or in
 * lockJobWithSteps (job before steps, ARCHITECTURE.md §6), so siblings finishing together
 * serialise. The lock is taken by writing the row (`status = status`): every locker leaves a new
 * row version, which is how lockJobWithSteps tells a stale snapshot.
 */
export async function lockJobForUpdate(trx: Transaction<DB>, id: string): Promise<Job | undefined> {
  const row = await trx
    .updateTable('jobs')
    .set({ status: sql<Job['status']>`status` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()
  return row ? toJob(row) : undefined
}

export async function findJobById(db: Kysely<DB>, id: string): Promise<Job | undefined> {
  const row = await db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst()
  return row ? toJob(row) : undefined
}

export async function getJobById(db: Kysely<DB>, id: string): Promise<Job> {
  const job = await findJobById(db, id)
  if (!job) throw new NotFoundError(`job '${id}' not found`)
  return job
}

export async function listStepsOfJob(db: Kysely<DB>, jobId: string): Promise<StepRun[]> {
  const rows = await db
    .selectFrom('step_runs')
    .selectAll()
    .where('job_id', '=', jobId)
    .orderBy('position')
    // A loop's instances right after their loop step, in index order.
    .orderBy(sql`loop_index NULLS FIRST`)
    .execute()
  return rows.map(toStepRun)
}

/** Job row fields to write (undefined: unchanged). */
export type JobPatch = JobChanges

export async function updateJob(trx: Kysely<DB>, id: string, p: JobPatch): Promise<void> {
  await trx
    .updateTable('jobs')
    .set({
      ...(p.status !== undefined ? { status: p.status } : {}),
      ...(p.output !== undefined ? { output: json(p.output) } : {}),
      ...(p.errorMessage !== undefined ? { error_message: p.errorMessage } : {}),
      ...(p.startedAt !== undefined
        ? { started_at: sql<Date>`coalesce(started_at, ${p.startedAt})` }
        : {}),
      ...(p.completedAt !== undefined ? { completed_at: p.completedAt } : {}),
      ...(p.cancelRequestedAt !== undefined ? { cancel_requested_at: p.cancelRequestedAt } : {}),
    })
    .where('id', '=', id)
    .execute()
}

/** Records where finished jobs' logs end: one statement for any number of jobs. */
export async function setJobLogLastSeqs(
  db: Kysely<DB>,
  ends: ReadonlyArray<{ readonly jobId: string; readonly lastSeq: number }>,
): Promise<void> {
  if (ends.length === 0) return
  const rows = JSON.stringify(ends.map((e) => ({ id: e.jobId, seq: e.lastSeq })))
  await sql`
    UPDATE jobs j SET log_last_seq = v.seq
    FROM jsonb_to_recordset(${rows}::jsonb) AS v(id uuid, seq integer)
    WHERE j.id = v.id`.execute(db)
}

/** Newest first (created_at desc, id desc); keyset cursor or bounded offset; optional total. */
export async function listJobs(
  db: Kysely<DB>,
  f: JobListFilter,
): Promise<{ jobs: Job[]; total: BoundedCount | null }> {
  let q = db.selectFrom('jobs')
  if (f.workspace !== undefined) q = q.where('workspace', '=', f.workspace)
  if (f.taskName !== undefined) q = q.where('task_name', '=', f.taskName)
  if (f.statuses !== undefined && f.statuses.length > 0)
    q = q.where('status', 'in', [...f.statuses])
  if (f.sourceType !== undefined) q = q.where('source_type', '=', f.sourceType)
  if (f.parentJobId !== undefined) q = q.where('parent_job_id', '=', f.parentJobId)
  let page = q.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit)
  if (f.cursor) {
    const c = f.cursor
    page = page.where((eb) =>
      eb.or([
        eb('created_at', '<', c.createdAt),
        eb.and([eb('created_at', '=', c.createdAt), eb('id', '<', c.id)]),
      ]),
    )
  } else if (f.offset > 0) {
    page = page.offset(f.offset)
  }
  const [rows, total] = await Promise.all([page.execute(), f.count ? boundedCount(db, q) : null])
  return { jobs: rows.map(toJob), total }
}
