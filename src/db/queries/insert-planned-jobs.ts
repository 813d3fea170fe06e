import { sql, type Kysely } from 'kysely'
import type { PlannedJob, PlannedStep } from '../../flow/plan-job.ts'
import type { NewAuditEntry } from '../../shared/accounts.ts'
import type { DomainEvent } from '../../shared/events.ts'
import { auditRow } from '../repositories/audit.repository.ts'
import { eventsInsert } from '../repositories/event.repository.ts'
import type { DB } from '../schema.ts'

const JOB_COLUMNS = sql.raw(
  `id, workspace, task_name, mode, status, source_type, source_id, input, raw_input, revision,
   fire_key, idempotency_key, retry_of_job_id, timeout_at, created_at, completed_at, log_owner,
   parent_job_id, parent_step_name, depth, source_job_id`,
)
const STEP_COLUMNS = sql.raw(
  `id, job_id, step_name, position, action_name, action_type, runner, status, spec, depends_on,
   input, tags, ready_at, error_message, completed_at, loop_source, loop_index, loop_total`,
)
const AUDIT_COLUMNS = sql.raw(
  'actor_type, actor, action, target_type, target_id, address, outcome, details',
)

/**
 * Inserts planned jobs with all their steps in one statement (one round trip whatever the count;
 * rows travel as one JSON array per table). With `events` (and an `audit` entry), those are
 * inserted by the same statement, which then MUST be its transaction's last (insertEvents' rule):
 * an execute is this one statement in its own transaction. Inside a longer transaction, pass no
 * events and insert them last with insertEvents.
 */
export async function insertPlannedJobs(
  db: Kysely<DB>,
  jobs: ReadonlyArray<PlannedJob>,
  logOwner: string | null,
  extra: {
    readonly events?: ReadonlyArray<DomainEvent>
    readonly audit?: ReadonlyArray<NewAuditEntry>
  } = {},
): Promise<void> {
  if (jobs.length === 0) return
  const jobRows = jobs.map((p) => ({
    id: p.id,
    workspace: p.workspace,
    task_name: p.taskName,
    mode: p.mode,
    status: p.status,
    source_type: p.source.type,
    source_id: p.source.id,
    input: p.input ?? null,
    raw_input: p.rawInput ?? null,
    revision: p.revision,
    fire_key: p.fireKey,
    idempotency_key: p.idempotencyKey,
    retry_of_job_id: p.retryOfJobId,
    timeout_at: p.timeoutAt,
    created_at: p.createdAt,
    completed_at: p.completedAt,
    log_owner: logOwner,
    parent_job_id: p.parent?.jobId ?? null,
    parent_step_name: p.parent?.stepName ?? null,
    depth: p.parent?.depth ?? 0,
    source_job_id: p.sourceJobId ?? null,
  }))
  const stepRows = jobs.flatMap((p) => stepRowsOf(p.id, p.steps))
  const auditRows = (extra.audit ?? []).map(auditRow)
  const events = extra.events ?? []
  await sql`
    WITH jobs_inserted AS (
      INSERT INTO jobs (${JOB_COLUMNS})
      SELECT ${JOB_COLUMNS} FROM jsonb_populate_recordset(NULL::jobs, ${JSON.stringify(jobRows)}::jsonb)
    ), steps_inserted AS (
      INSERT INTO step_runs (${STEP_COLUMNS})
      SELECT ${STEP_COLUMNS}
        FROM jsonb_populate_recordset(NULL::step_runs, ${JSON.stringify(stepRows)}::jsonb)
    ), audit_inserted AS (
      INSERT INTO audit_log (${AUDIT_COLUMNS})
      SELECT ${AUDIT_COLUMNS}
        FROM jsonb_populate_recordset(NULL::audit_log, ${JSON.stringify(auditRows)}::jsonb)
    ), ${eventsInsert(events)}
    SELECT 1`.execute(db)
}

/** Step rows as the JSON that jsonb_populate_recordset reads (STEP_COLUMNS). */
function stepRowsOf(jobId: string, steps: ReadonlyArray<PlannedStep>): Record<string, unknown>[] {
  return steps.map((s) => ({
    id: s.id,
    job_id: jobId,
    step_name: s.name,
    position: s.position,
    action_name: s.actionName,
    action_type: s.actionType,
    runner: s.runner,
    status: s.status,
    spec: s.spec ?? null,
    depends_on: s.dependsOn ?? null,
    input: s.input ?? null,
    tags: s.tags ?? null,
    ready_at: s.readyAt,
    error_message: s.errorMessage,
    completed_at: s.completedAt,
    loop_source: s.loop?.source ?? null,
    loop_index: s.loop?.index ?? null,
    loop_total: s.loop?.total ?? null,
  }))
}

/**
 * Inserts steps into a job that exists already: a loop's instances, in the job's transaction
 * (the caller holds the job row). One statement.
 */
export async function insertStepRuns(
  trx: Kysely<DB>,
  jobId: string,
  steps: ReadonlyArray<PlannedStep>,
): Promise<void> {
  if (steps.length === 0) return
  await sql`
    INSERT INTO step_runs (${STEP_COLUMNS})
    SELECT ${STEP_COLUMNS}
      FROM jsonb_populate_recordset(NULL::step_runs, ${JSON.stringify(stepRowsOf(jobId, steps))}::jsonb)
  `.execute(trx)
}
