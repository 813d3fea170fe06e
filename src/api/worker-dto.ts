/** Workers (API.md §7.2) and claims (§11.3) as JSON. */
import type { ClaimedRender } from '../dispatch/claim-steps.ts'
import type { HeartbeatResult } from '../workers/worker-lifecycle.ts'
import type { WorkerRecord, WorkerStepRecord } from '../workers/worker-record.ts'
import { iso } from './dto.ts'

export function toWorkerDto(w: WorkerRecord): Record<string, unknown> {
  return {
    worker_id: w.id,
    name: w.name,
    kind: w.kind,
    status: w.status,
    tags: w.tags,
    capabilities: w.capabilities,
    version: w.version,
    hostname: w.hostname,
    max_concurrency: w.maxConcurrency,
    running_steps: w.runningSteps,
    last_heartbeat: iso(w.lastHeartbeat),
    registered_at: iso(w.registeredAt),
    draining_since: iso(w.drainingSince),
    drain_reason: w.drainReason,
  }
}

export function toWorkerDetailDto(
  w: WorkerRecord,
  recent: ReadonlyArray<WorkerStepRecord>,
): Record<string, unknown> {
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

export function toHeartbeatDto(h: HeartbeatResult): Record<string, unknown> {
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

/** A claimed step for a remote worker: the rendered action, input and environment. */
export function toClaimDto(c: ClaimedRender): Record<string, unknown> {
  const { step, job, rendered } = c
  const a = step.spec.action
  return {
    lease: { token: step.leaseToken, expires_at: iso(step.leaseExpiresAt) },
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
