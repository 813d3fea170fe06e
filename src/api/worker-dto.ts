/** Workers (API.md §7.2) and claims (§11.3) as JSON, with their schemas (see dto.ts). */
import { z } from 'zod'
import type { ClaimedRender } from '../dispatch/claim-steps.ts'
import type { HeartbeatResult } from '../workers/worker-lifecycle.ts'
import { WORKER_STATUSES } from '../shared/statuses.ts'
import type { WorkerRecord, WorkerStepRecord } from '../workers/worker-record.ts'
import { iso, jsonDto, timestampDto } from './dto.ts'

export const workerDto = z.object({
  worker_id: z.string(),
  name: z.string(),
  kind: z.enum(['remote', 'embedded']),
  status: z.enum(WORKER_STATUSES),
  tags: z.array(z.string()),
  capabilities: z.array(z.string()),
  version: z.string().nullable(),
  hostname: z.string().nullable(),
  max_concurrency: z.int(),
  running_steps: z.int(),
  last_heartbeat: timestampDto.nullable(),
  registered_at: timestampDto,
  draining_since: timestampDto.nullable(),
  drain_reason: z.string().nullable(),
})

export function toWorkerDto(w: WorkerRecord): z.output<typeof workerDto> {
  return {
    worker_id: w.id,
    name: w.name,
    kind: w.kind,
    status: w.status,
    tags: [...w.tags],
    capabilities: [...w.capabilities],
    version: w.version,
    hostname: w.hostname,
    max_concurrency: w.maxConcurrency,
    running_steps: w.runningSteps,
    last_heartbeat: iso(w.lastHeartbeat),
    registered_at: w.registeredAt.toISOString(),
    draining_since: iso(w.drainingSince),
    drain_reason: w.drainReason,
  }
}

export const workerDetailDto = workerDto.extend({
  recent_jobs: z.array(
    z.object({
      job_id: z.string(),
      workspace: z.string(),
      task_name: z.string(),
      job_status: z.string(),
      step_name: z.string(),
      step_status: z.string(),
      started_at: timestampDto.nullable(),
      completed_at: timestampDto.nullable(),
    }),
  ),
})

export function toWorkerDetailDto(
  w: WorkerRecord,
  recent: ReadonlyArray<WorkerStepRecord>,
): z.output<typeof workerDetailDto> {
  return {
    ...toWorkerDto(w),
    recent_jobs: recent.map((r) => ({
      job_id: r.jobId,
      workspace: r.workspace,
      task_name: r.taskName,
      job_status: r.jobStatus,
      step_name: r.stepName,
      step_status: r.stepStatus,
      started_at: iso(r.startedAt),
      completed_at: iso(r.completedAt),
    })),
  }
}

export const heartbeatDto = z.object({
  status: z.enum(WORKER_STATUSES),
  /** The leases the server holds for this worker, renewed by the heartbeat. */
  leases: z.array(
    z.object({ job_id: z.string(), step_name: z.string(), expires_at: timestampDto }),
  ),
  /** Steps the worker should stop (cancelled, lost elsewhere), with why. */
  stop: z.array(z.object({ job_id: z.string(), step_name: z.string(), reason: z.string() })),
})

export function toHeartbeatDto(h: HeartbeatResult): z.output<typeof heartbeatDto> {
  return {
    status: h.status,
    leases: h.leases.map((l) => ({
      job_id: l.jobId,
      step_name: l.stepName,
      expires_at: l.expiresAt.toISOString(),
    })),
    stop: h.stop.map((s) => ({ job_id: s.jobId, step_name: s.stepName, reason: s.reason })),
  }
}

/**
 * A container step's fields in a claim: the rendered image (null: the worker's runner image),
 * `cmd`, `entrypoint`, `command`, `pull_policy`, and `resources` as a number of CPUs and bytes.
 */
function containerFields(c: ClaimedRender['rendered']['action']['container']) {
  if (!c) return {}
  return {
    image: c.image,
    cmd: c.cmd,
    entrypoint: c.entrypoint,
    command: c.command,
    pull_policy: c.pullPolicy,
    resources: {
      cpu: c.resources.nanoCpus === null ? null : c.resources.nanoCpus / 1e9,
      memory: c.resources.memoryBytes,
    },
  }
}

/** A claimed step (API.md §11.3); the action's fields depend on its type, so it is left open. */
export const claimDto = z.looseObject({
  lease: z.object({
    token: z.string(),
    expires_at: timestampDto.nullable(),
    /** The optional fields this server's `complete` takes (the worker sends no others). */
    complete_fields: z.array(z.string()),
  }),
  job_id: z.string(),
  workspace: z.string(),
  revision: z.string(),
  task_name: z.string(),
  step_name: z.string(),
  attempt: z.int(),
  action_name: z.string(),
  action_type: z.string(),
  runner: z.string(),
  action: z.looseObject({ type: z.string() }),
  input: jsonDto,
  timeout_secs: z.number().nullable(),
  env: z.record(z.string(), z.string()),
  files: z
    .object({ kind: z.enum(['workspace', 'library']), name: z.string(), revision: z.string() })
    .describe(
      'Whose files a `source:` script is in: GET /worker/{kind}s/{name}/archive?revision= sends them',
    ),
})

/** A claimed step for a remote worker: the rendered action, input and environment. */
/** What `complete` takes beyond the result: the last log lines, and a claim of the next step. */
const COMPLETE_FIELDS = ['lines', 'claim_next']

export function toClaimDto(c: ClaimedRender): Record<string, unknown> {
  const { step, job, rendered } = c
  const a = step.spec.action
  return {
    lease: {
      token: step.leaseToken,
      expires_at: iso(step.leaseExpiresAt),
      complete_fields: COMPLETE_FIELDS,
    },
    job_id: job.id,
    workspace: job.workspace,
    revision: job.revision,
    task_name: job.taskName,
    step_name: step.name,
    attempt: step.attempt,
    action_name: step.actionName,
    action_type: step.actionType,
    runner: step.runner,
    action: {
      type: a.type,
      language: rendered.action.language,
      interpreter: rendered.action.interpreter,
      script: rendered.action.script,
      source: rendered.action.source,
      args: rendered.action.args,
      runner: a.runner,
      ...containerFields(rendered.action.container),
    },
    input: rendered.input,
    timeout_secs: step.spec.timeoutSecs,
    env: rendered.env,
    files: step.spec.files ?? { kind: 'workspace', name: job.workspace, revision: job.revision },
    state: job.state && {
      task: snapshotDto(job.state.task),
      global: snapshotDto(job.state.global),
    },
  }
}

/** A state snapshot a claimed step starts from: its values and whether it has files to fetch. */
function snapshotDto(s: NonNullable<ClaimedRender['job']['state']>['task']) {
  return s && { snapshot_id: s.id, values: s.state, has_files: s.filesKey !== null }
}
