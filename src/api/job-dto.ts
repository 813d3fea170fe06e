/** Jobs and steps as API.md §5.1/§5.2 show them. */
import type { Job, StepRun } from '../engine/job.ts'
import { iso } from './dto.ts'

export function toJobSummaryDto(j: Job): Record<string, unknown> {
  return {
    job_id: j.id,
    workspace: j.workspace,
    task_name: j.taskName,
    mode: j.mode,
    status: j.status,
    source_type: j.sourceType,
    source_id: j.sourceId,
    created_at: iso(j.createdAt),
    started_at: iso(j.startedAt),
    completed_at: iso(j.completedAt),
    retry_of_job_id: j.retryOfJobId,
  }
}

export function toStepDto(s: StepRun): Record<string, unknown> {
  return {
    step_name: s.name,
    action_name: s.actionName,
    action_type: s.actionType,
    runner: s.runner,
    input: s.input ?? null,
    output: s.output ?? null,
    status: s.status,
    worker_id: s.workerId,
    started_at: iso(s.startedAt),
    completed_at: iso(s.completedAt),
    error_message: s.errorMessage,
    depends_on: s.dependsOn,
    attempt: s.attempt,
    exit_code: s.exitCode,
  }
}

/** Replaces every occurrence of a secret value inside strings of a JSON value. */
export function maskSecrets(value: unknown, secrets: ReadonlyArray<string>): unknown {
  if (secrets.length === 0) return value
  if (typeof value === 'string') {
    let out = value
    for (const s of secrets) if (s.length >= 3) out = out.split(s).join('******')
    return out
  }
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, secrets))
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v, secrets)]))
  }
  return value
}

export function toJobDetailDto(
  j: Job,
  steps: ReadonlyArray<StepRun>,
  secrets: ReadonlyArray<string>,
): Record<string, unknown> {
  const body = {
    ...toJobSummaryDto(j),
    input: j.input,
    output: j.output ?? null,
    revision: j.revision,
    cancel_requested_at: iso(j.cancelRequestedAt),
    error_message: j.errorMessage,
    steps: steps.map(toStepDto),
  }
  return maskSecrets(body, secrets) as Record<string, unknown>
}
