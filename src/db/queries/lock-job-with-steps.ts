import { sql, type Kysely, type Transaction } from 'kysely'
import type { Job, StepRun } from '../../flow/job.ts'
import { listStepsOfJob, toJob, toStepRun } from '../repositories/job.repository.ts'
import type { DB, JobRow, StepRunRow } from '../schema.ts'

const STEP_TIMESTAMPS = [
  'ready_at',
  'lease_expires_at',
  'deadline_at',
  'claimed_at',
  'started_at',
  'completed_at',
  'suspended_at',
] as const

type Row = JobRow & { version: string; steps_json: unknown }

const STEPS_JSON = sql`(SELECT coalesce(json_agg(r ORDER BY r.position, r.loop_index NULLS FIRST), '[]') FROM step_runs r
  WHERE r.job_id = j.id) AS steps_json`

/**
 * Locks the job row and reads its steps in one round trip (the locked finish path).
 *
 * Invariant: under READ COMMITTED the statement's snapshot is taken before the lock wait, so the
 * steps it reads can miss what the previous lock holder committed. Every lock holder writes the
 * job row (lockJobForUpdate, finishStepAttempt), so the locked row's version differs from the
 * snapshot's exactly when someone committed in between: then the steps are read again, in a new
 * statement whose snapshot comes after the lock. Uncontended, that is one statement.
 */
export async function lockJobWithSteps(
  trx: Transaction<DB>,
  jobId: string,
): Promise<{ job: Job; steps: StepRun[] } | undefined> {
  const { rows } = await sql<Row & { fresh: boolean }>`
    SELECT j.*, j.xmin::text AS version,
      j.xmin::text = (SELECT s.xmin::text FROM jobs s WHERE s.id = j.id) AS fresh,
      ${STEPS_JSON}
    FROM jobs j WHERE j.id = ${jobId}
    FOR UPDATE OF j`.execute(trx)
  const row = rows[0]
  if (!row) return undefined
  if (!row.fresh) return { job: toJob(row), steps: await listStepsOfJob(trx, jobId) }
  return parse(row)
}

/**
 * Reads jobs, their row versions and their steps in one statement, without a lock (optimistic
 * finishes, several at once under load: their writes are fenced on `version`, see
 * finishStepAttempt). Missing jobs are absent from the map.
 */
export async function readJobsWithSteps(
  db: Kysely<DB>,
  jobIds: ReadonlyArray<string>,
): Promise<Map<string, { job: Job; steps: StepRun[]; version: string }>> {
  const { rows } = await sql<Row>`
    SELECT j.*, j.xmin::text AS version, ${STEPS_JSON}
    FROM jobs j WHERE j.id = ANY(${[...new Set(jobIds)]}::uuid[])`.execute(db)
  return new Map(rows.map((row) => [row.id, { ...parse(row), version: row.version }]))
}

function parse(row: Row): { job: Job; steps: StepRun[] } {
  const { steps_json, ...jobRow } = row
  const parsed = (typeof steps_json === 'string' ? JSON.parse(steps_json) : steps_json) as Array<
    Record<string, unknown>
  >
  return { job: toJob(jobRow), steps: parsed.map((r) => toStepRun(withDates(r))) }
}

const JOB_TIMESTAMPS = [
  'cancel_requested_at',
  'timeout_at',
  'created_at',
  'started_at',
  'completed_at',
] as const

/** A job and its steps as JSON (`row_to_json` of their rows), e.g. a claim's snapshot. */
export function jobStateFromJson(
  jobJson: unknown,
  stepsJson: unknown,
): { job: Job; steps: StepRun[] } {
  const parse = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v)
  const j: Record<string, unknown> = { ...(parse(jobJson) as Record<string, unknown>) }
  for (const k of JOB_TIMESTAMPS) j[k] = typeof j[k] === 'string' ? new Date(j[k]) : null
  const steps = parse(stepsJson) as Array<Record<string, unknown>>
  return { job: toJob(j as unknown as JobRow), steps: steps.map((r) => toStepRun(withDates(r))) }
}

function withDates(r: Record<string, unknown>): StepRunRow {
  const out: Record<string, unknown> = { ...r }
  for (const k of STEP_TIMESTAMPS) {
    const v = r[k]
    out[k] = typeof v === 'string' ? new Date(v) : null
  }
  return out as unknown as StepRunRow
}
