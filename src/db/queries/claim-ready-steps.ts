import { sql, type Kysely } from 'kysely'
import type { Job, StepRun } from '../../flow/job.ts'
import { jobStateFromJson } from './lock-job-with-steps.ts'
import { EVENTS_LOCK_KEY } from '../repositories/event.repository.ts'
import { toStepRun } from '../repositories/job.repository.ts'
import type { DB, StepRunRow } from '../schema.ts'

export interface ClaimRequest {
  readonly workerId: string
  readonly limit: number
  readonly leaseTtlSecs: number
  /** The worker's tags: a step is eligible when its action's tags are a subset. */
  readonly tags: ReadonlyArray<string>
  /** What the worker can run (`script`, `docker`, `kubernetes`); see requiredCapability below. */
  readonly capabilities: ReadonlyArray<string>
  /** In-process workers start the process right away: record started_at with the claim. */
  readonly startNow: boolean
  /**
   * Task state is on (config `state_storage`): also return the newest snapshot of each claimed
   * job's task and of its workspace. Off, the statement is the same as without state.
   */
  readonly withState?: boolean
  /**
   * Claim only while the worker's row says it may take a step: `active`, and fewer running steps
   * than its max_concurrency (a remote worker; the check costs no statement of its own). An empty
   * result then does not say which: the caller reads the worker row to tell.
   */
  readonly gateOnWorkerRow?: boolean
}

/** A state snapshot as a claim hands it to the step: its values and where its files are. */
export interface SnapshotRef {
  readonly id: string
  readonly state: Readonly<Record<string, unknown>>
  readonly filesKey: string | null
}

/** The state a claimed step starts from (null: state is off). */
export interface ClaimedState {
  readonly task: SnapshotRef | null
  readonly global: SnapshotRef | null
}

/**
 * Claims up to `limit` ready steps for one worker, oldest first (ready_at, then id — ids are
 * uuid v7, so creation order), flips their pending jobs to running, inserts the `job.started` and
 * `step.started` events and returns what rendering needs (the job, and the completed outputs of
 * the job when the step has dependencies), all in one statement: one round trip and its own
 * transaction on the hot path. Events follow insertEvents' rule (event.repository.ts): their ids
 * are drawn under the events lock, held to the implicit COMMIT; an empty claim takes no lock.
 * Invariant: a running step has exactly one current lease_token. SKIP LOCKED means claimers
 * never wait on each other or share a row; the job row is touched only with SKIP LOCKED (lock
 * order is job before steps everywhere else, ARCHITECTURE.md §6): a finisher holding the job row
 * derives `running` from the steps itself. A step is never taken before its ready_at (retry delay).
 * Eligibility: the action's tags are a subset of the worker's, and the worker has the capability
 * the step needs (`docker` for a docker runner or action, `kubernetes` for a pod, else `script`);
 * `type: task` and `type: approval` steps need `server`, which no worker has: the server runs
 * them (a ready one only waits out a retry delay; the sweeper starts it).
 * Lease tokens are `wlt_` + the binding tag of workers/lease-chain.ts (the first 12 hex digits of
 * sha256('<worker>:<step>:<attempt>'), computed here in SQL) + 32 random hex digits.
 * Index: step_runs_ready (partial, status = 'ready').
 */
export interface ClaimedJobInfo {
  readonly id: string
  readonly workspace: string
  readonly taskName: string
  readonly revision: string
  /** Job status before this claim (a `pending` job has just become `running`). */
  readonly status: string
  readonly input: Record<string, unknown>
  /** The replica that writes the job's log (jobs.log_owner): no lookup needed when appending. */
  readonly logOwner: string | null
  /** This claim flipped the job from `pending` to `running` (job.started is emitted once). */
  readonly started: boolean
  /** Outputs of the job's completed steps (only read for steps with dependencies). */
  readonly outputs: Map<string, unknown>
  /**
   * The job, its steps and its row version as this claim left them, when the claimed step was
   * the job's only ready or running step (a chain, a 1-step job): the finish can start from it
   * instead of reading (its write is fenced on the version, so a stale snapshot costs a retry).
   */
  readonly snapshot: { job: Job; steps: StepRun[]; version: string } | null
  /** The newest task and workspace state as of the claim; null when the claim did not ask. */
  readonly state: ClaimedState | null
}

/**
 * The newest snapshots of the claimed job's task and workspace (state_snapshots_latest), when
 * task state is on: two index probes inside the claim statement, no statement of their own.
 */
const stateColumns = sql`,
        (SELECT json_build_object('id', t.id, 'state', t.state, 'files_key', t.files_key)
          FROM state_snapshots t WHERE t.workspace = j.workspace AND t.task_name = j.task_name
          ORDER BY t.created_at DESC, t.id DESC LIMIT 1) AS j_task_state,
        (SELECT json_build_object('id', g.id, 'state', g.state, 'files_key', g.files_key)
          FROM state_snapshots g WHERE g.workspace = j.workspace AND g.task_name IS NULL
          ORDER BY g.created_at DESC, g.id DESC LIMIT 1) AS j_global_state`

/** The worker-row condition of `gateOnWorkerRow` (uncorrelated: evaluated once per claim). */
function workerGate(workerId: string) {
  return sql`AND EXISTS (
          SELECT 1 FROM workers w
          WHERE w.id = ${workerId} AND w.status = 'active'
            AND (SELECT count(*) FROM step_runs r WHERE r.worker_id = w.id AND r.status = 'running')
              < w.max_concurrency
        )`
}

function snapshotRef(v: unknown): SnapshotRef | null {
  const o = (typeof v === 'string' ? JSON.parse(v) : v) as {
    id: string
    state: Record<string, unknown> | null
    files_key: string | null
  } | null
  return o ? { id: o.id, state: o.state ?? {}, filesKey: o.files_key } : null
}

export async function claimReadySteps(
  db: Kysely<DB>,
  req: ClaimRequest,
): Promise<Array<{ step: StepRun; job: ClaimedJobInfo }>> {
  const { rows } = await sql<
    StepRunRow & {
      j_workspace: string
      j_task_name: string
      j_revision: string
      j_status: string
      j_input: unknown
      j_log_owner: string | null
      j_started: boolean
      j_outputs: Record<string, unknown> | string | null
      j_version: string
      j_row: unknown
      j_steps: unknown
      j_task_state?: unknown
      j_global_state?: unknown
    }
  >`
    WITH picked AS (
      SELECT id FROM step_runs
      WHERE status = 'ready' AND ready_at <= now() AND tags <@ ${JSON.stringify(req.tags)}::jsonb
        AND (CASE
          WHEN action_type IN ('task', 'approval') THEN 'server'
          WHEN runner = 'docker' OR action_type = 'docker' THEN 'docker'
          WHEN runner = 'pod' OR action_type IN ('pod', 'kubernetes') THEN 'kubernetes'
          ELSE 'script' END) = ANY(${[...req.capabilities]}::text[])
        ${req.gateOnWorkerRow ? workerGate(req.workerId) : sql``}
      ORDER BY ready_at, id
      LIMIT ${req.limit}
      FOR UPDATE SKIP LOCKED
    ), claimed AS (
      UPDATE step_runs s SET
        status = 'running',
        worker_id = ${req.workerId},
        lease_token = 'wlt_'
          || left(encode(sha256(convert_to(${req.workerId} || ':' || s.id::text || ':' || s.attempt::text, 'UTF8')), 'hex'), 12)
          || replace(gen_random_uuid()::text, '-', ''),
        prev_lease_token = NULL,
        lease_seq = 0,
        lease_reply = NULL,
        lease_expires_at = now() + make_interval(secs => ${req.leaseTtlSecs}),
        claimed_at = now(),
        started_at = CASE WHEN ${req.startNow} THEN now() ELSE NULL END,
        stop_reason = NULL,
        deadline_at = now() + make_interval(secs => (s.spec->>'timeoutSecs')::int + 30)
      FROM picked WHERE s.id = picked.id
      RETURNING s.*
    ), flipped AS (
      UPDATE jobs SET status = 'running', started_at = coalesce(started_at, now())
      WHERE id IN (
        SELECT id FROM jobs WHERE id IN (SELECT job_id FROM claimed) AND status = 'pending'
        FOR UPDATE SKIP LOCKED
      )
      RETURNING id, xmin::text AS version
    ), out AS (
      SELECT c.*, j.workspace AS j_workspace, j.task_name AS j_task_name,
        j.revision AS j_revision, j.status AS j_status, j.input AS j_input,
        j.log_owner AS j_log_owner, (f.id IS NOT NULL) AS j_started,
        CASE WHEN jsonb_array_length(c.depends_on) > 0 THEN (
          SELECT coalesce(jsonb_object_agg(o.step_name, coalesce(o.output, 'null'::jsonb)), '{}')
          FROM step_runs o WHERE o.job_id = c.job_id AND o.status = 'completed'
        ) END AS j_outputs,
        coalesce(f.version, j.xmin::text) AS j_version,
        CASE WHEN runnable.n = 1 THEN row_to_json(j) END AS j_row,
        CASE WHEN runnable.n = 1 THEN (
          SELECT json_agg(r ORDER BY r.position, r.loop_index NULLS FIRST) FROM step_runs r WHERE r.job_id = c.job_id
        ) END AS j_steps${req.withState ? stateColumns : sql``}
      FROM claimed c JOIN jobs j ON j.id = c.job_id LEFT JOIN flipped f ON f.id = c.job_id
      CROSS JOIN LATERAL (
        SELECT count(*) AS n FROM step_runs r
        WHERE r.job_id = c.job_id AND r.status IN ('ready', 'running')
      ) runnable
    ), held AS MATERIALIZED (
      SELECT pg_advisory_xact_lock(${EVENTS_LOCK_KEY}::bigint) FROM (SELECT 1 FROM out LIMIT 1) one
    ), started_events AS (
      INSERT INTO job_events (job_id, workspace, type, payload)
      SELECT e.job_id, e.workspace, e.type, e.payload FROM held, (
        (SELECT DISTINCT ON (o.job_id) o.job_id, o.j_workspace AS workspace, 'job.started' AS type,
          jsonb_build_object('job_id', o.job_id, 'workspace', o.j_workspace,
            'task_name', o.j_task_name, 'status', 'running') AS payload,
          o.ready_at, o.id, 0 AS k
        FROM out o WHERE o.j_started ORDER BY o.job_id, o.ready_at, o.id)
        UNION ALL
        SELECT o.job_id, o.j_workspace, 'step.started',
          jsonb_build_object('job_id', o.job_id, 'workspace', o.j_workspace,
            'task_name', o.j_task_name, 'step_name', o.step_name, 'attempt', o.attempt,
            'worker_id', ${req.workerId}::text),
          o.ready_at, o.id, 1
        FROM out o
      ) e
      ORDER BY e.ready_at, e.id, e.k
    )
    SELECT * FROM out ORDER BY ready_at, id`.execute(db)
  return rows.map((r) => {
    const outputs =
      typeof r.j_outputs === 'string'
        ? (JSON.parse(r.j_outputs) as Record<string, unknown>)
        : (r.j_outputs ?? {})
    const step = toStepRun(r)
    let snapshot: ClaimedJobInfo['snapshot'] = null
    if (r.j_row != null && r.j_steps != null) {
      // As of the statement's snapshot: this claim's own changes are applied here.
      const state = jobStateFromJson(r.j_row, r.j_steps)
      const job: Job = r.j_started
        ? { ...state.job, status: 'running', startedAt: state.job.startedAt ?? step.claimedAt }
        : state.job
      const steps = state.steps.map((s) => (s.id === step.id ? step : s))
      snapshot = { job, steps, version: r.j_version }
    }
    return {
      step,
      job: {
        id: r.job_id,
        workspace: r.j_workspace,
        taskName: r.j_task_name,
        revision: r.j_revision,
        status: r.j_status,
        input: (r.j_input ?? {}) as Record<string, unknown>,
        logOwner: r.j_log_owner,
        started: r.j_started,
        outputs: new Map(Object.entries(outputs)),
        snapshot,
        state: req.withState
          ? { task: snapshotRef(r.j_task_state), global: snapshotRef(r.j_global_state) }
          : null,
      },
    }
  })
}
