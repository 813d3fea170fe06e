import { sql, type Kysely, type Transaction } from 'kysely'
import type { Job, StepRun } from '../../flow/job.ts'
import { listStepsOfJob, toJob, toStepRun } from '../repositories/job.repository.ts'
import type { StepSpec } from '../../flow/step-spec.ts'
import type { DB, JobRow, StepRunRow } from '../schema.ts'
import type { StepSpecCache } from './step-spec-cache.ts'

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

const STEP_ORDER = sql`ORDER BY r.position, r.loop_index NULLS FIRST`

/** Every column of every step. */
const FULL_STEPS = sql`(SELECT coalesce(json_agg(r ${STEP_ORDER}), '[]') FROM step_runs r
  WHERE r.job_id = j.id)`

/**
 * The steps without what a finish never reads from them (spec, the rendered input, lease replays):
 * for jobs whose specs the StepSpecCache holds.
 */
const LIGHT_STEPS = sql`(SELECT coalesce(json_agg(json_build_object(
    'id', r.id, 'job_id', r.job_id, 'step_name', r.step_name, 'position', r.position,
    'action_name', r.action_name, 'action_type', r.action_type, 'runner', r.runner,
    'status', r.status, 'depends_on', r.depends_on, 'output', r.output,
    'exit_code', r.exit_code, 'error_message', r.error_message, 'attempt', r.attempt,
    'ready_at', r.ready_at, 'worker_id', r.worker_id, 'lease_token', r.lease_token,
    'lease_expires_at', r.lease_expires_at, 'stop_reason', r.stop_reason,
    'deadline_at', r.deadline_at, 'claimed_at', r.claimed_at, 'started_at', r.started_at,
    'completed_at', r.completed_at, 'suspended_at', r.suspended_at,
    'loop_source', r.loop_source, 'loop_index', r.loop_index, 'loop_total', r.loop_total,
    'child_job_id', r.child_job_id) ${STEP_ORDER}), '[]')
  FROM step_runs r WHERE r.job_id = j.id)`

/** Full steps for most jobs; light ones (specs from the cache) for the jobs listed. */
function stepsJson(light: ReadonlyArray<string>) {
  if (light.length === 0) return sql`${FULL_STEPS} AS steps_json`
  return sql`CASE WHEN j.id = ANY(${[...light]}::uuid[]) THEN ${LIGHT_STEPS} ELSE ${FULL_STEPS} END AS steps_json`
}

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
  specs?: StepSpecCache,
): Promise<{ job: Job; steps: StepRun[] } | undefined> {
  const { rows } = await sql<Row & { fresh: boolean }>`
    SELECT j.*, j.xmin::text AS version,
      j.xmin::text = (SELECT s.xmin::text FROM jobs s WHERE s.id = j.id) AS fresh,
      ${stepsJson(specs?.lightJobs([jobId]) ?? [])}
    FROM jobs j WHERE j.id = ${jobId}
    FOR UPDATE OF j`.execute(trx)
  const row = rows[0]
  if (!row) return undefined
  if (!row.fresh) return { job: toJob(row), steps: await listStepsOfJob(trx, jobId) }
  const [parsed] = await withSpecs(trx, [parse(row)], specs)
  return parsed
}

/**
 * Reads jobs, their row versions and their steps in one statement, without a lock (optimistic
 * finishes, several at once under load: their writes are fenced on `version`, see
 * finishStepAttempt). Missing jobs are absent from the map.
 */
export async function readJobsWithSteps(
  db: Kysely<DB>,
  jobIds: ReadonlyArray<string>,
  specs?: StepSpecCache,
): Promise<Map<string, { job: Job; steps: StepRun[]; version: string }>> {
  const ids = [...new Set(jobIds)]
  const { rows } = await sql<Row>`
    SELECT j.*, j.xmin::text AS version, ${stepsJson(specs?.lightJobs(ids) ?? [])}
    FROM jobs j WHERE j.id = ANY(${ids}::uuid[])`.execute(db)
  const parsed = await withSpecs(db, rows.map(parse), specs)
  return new Map(parsed.map((p, i) => [p.job.id, { ...p, version: rows[i]!.version }]))
}

/**
 * Fills the specs of light rows from the cache, reading those it lacks (steps added since, e.g.
 * a loop's instances) in one statement; learns the specs of full rows of big jobs.
 */
async function withSpecs(
  db: Kysely<DB>,
  jobs: Array<{ job: Job; steps: StepRun[] }>,
  specs: StepSpecCache | undefined,
): Promise<Array<{ job: Job; steps: StepRun[] }>> {
  if (!specs) return jobs
  const missing: string[] = []
  for (const { job, steps } of jobs) {
    if (!specs.isLight(job.id)) {
      specs.learn(job.id, steps)
      continue
    }
    for (const s of steps) if (!specs.get(job.id, s.id)) missing.push(s.id)
  }
  if (missing.length > 0) {
    const rows = await db
      .selectFrom('step_runs')
      .select(['id', 'job_id', 'spec'])
      .where('id', 'in', missing)
      .execute()
    for (const r of rows) specs.set(r.job_id, r.id, r.spec as StepSpec)
  }
  return jobs.map(({ job, steps }) => ({
    job,
    steps: specs.isLight(job.id)
      ? steps.map((s) => ({ ...s, spec: specs.get(job.id, s.id) ?? s.spec }))
      : steps,
  }))
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
