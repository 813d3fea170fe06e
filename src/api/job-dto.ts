/** Jobs and steps as API.md §5.1/§5.2 show them, with their schemas (see dto.ts). */
import { z } from 'zod'
import type { Job, StepRun } from '../flow/job.ts'
import { maskSecretInputs } from '../flow/secret-values.ts'
import { maskJsonStrings, SECRET_MASK, type Scrubber } from '../shared/secret-mask.ts'
import { JOB_STATUSES, SOURCE_TYPES, STEP_STATUSES } from '../shared/statuses.ts'
import { INPUT_TYPES, type InputSchema } from '../workspace/workspace.ts'
import { iso, jsonDto, timestampDto } from './dto.ts'

export const jobSummaryDto = z.object({
  job_id: z.string(),
  workspace: z.string(),
  task_name: z.string(),
  mode: z.string(),
  status: z.enum(JOB_STATUSES),
  source_type: z.enum(SOURCE_TYPES),
  source_id: z.string().nullable(),
  created_at: timestampDto,
  started_at: timestampDto.nullable(),
  completed_at: timestampDto.nullable(),
  retry_of_job_id: z.string().nullable(),
  parent_job_id: z.string().nullable(),
  parent_step_name: z.string().nullable(),
  source_job_id: z.string().nullable(),
})

export function toJobSummaryDto(j: Job): z.output<typeof jobSummaryDto> {
  return {
    job_id: j.id,
    workspace: j.workspace,
    task_name: j.taskName,
    mode: j.mode,
    status: j.status,
    source_type: j.sourceType,
    source_id: j.sourceId,
    created_at: j.createdAt.toISOString(),
    started_at: iso(j.startedAt),
    completed_at: iso(j.completedAt),
    retry_of_job_id: j.retryOfJobId,
    parent_job_id: j.parentJobId,
    parent_step_name: j.parentStepName,
    source_job_id: j.sourceJobId,
  }
}

const approvalFieldDto = z.object({
  type: z.enum(INPUT_TYPES),
  required: z.boolean(),
  name: z.string().optional(),
  description: z.string().optional(),
  options: z.array(jsonDto).optional(),
  default: jsonDto.optional(),
})

export const stepDto = z.object({
  step_name: z.string(),
  action_name: z.string(),
  action_type: z.string(),
  runner: z.string(),
  input: jsonDto,
  output: jsonDto,
  status: z.enum(STEP_STATUSES),
  worker_id: z.string().nullable(),
  started_at: timestampDto.nullable(),
  completed_at: timestampDto.nullable(),
  error_message: z.string().nullable(),
  depends_on: z.array(z.string()),
  attempt: z.int(),
  exit_code: z.int().nullable(),
  /** A for_each instance: its loop step, index and the loop's size. */
  loop_source: z.string().nullable().optional(),
  loop_index: z.int().nullable().optional(),
  loop_total: z.int().nullable().optional(),
  /** A sub-task step: the child job it started. */
  child_job_id: z.string().optional(),
  /** An approval step: since when it waits, what it asks and the fields an approver fills in. */
  suspended_at: timestampDto.nullable().optional(),
  approval_message: z.string().nullable().optional(),
  approval_fields: z.record(z.string(), approvalFieldDto).optional(),
  /** Why a ready step is not claimed (no connected worker can take it). */
  waiting_reason: z.string().optional(),
})
type StepDto = z.output<typeof stepDto>

export function toStepDto(s: StepRun): StepDto {
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
    depends_on: [...s.dependsOn],
    attempt: s.attempt,
    exit_code: s.exitCode,
    ...(s.loopSource !== null
      ? { loop_source: s.loopSource, loop_index: s.loopIndex, loop_total: s.loopTotal }
      : {}),
    ...(s.childJobId !== null ? { child_job_id: s.childJobId } : {}),
    ...approvalFields(s),
  }
}

/** An approval step shows its message and the fields an approver fills in. */
function approvalFields(
  s: StepRun,
): Pick<StepDto, 'suspended_at' | 'approval_message' | 'approval_fields'> {
  if (s.spec.action.type !== 'approval') return {}
  const out = s.output as { approval_message?: unknown } | null
  return {
    suspended_at: iso(s.suspendedAt),
    approval_message: typeof out?.approval_message === 'string' ? out.approval_message : null,
    approval_fields: Object.fromEntries(
      s.spec.action.input.map(([name, f]) => [
        name,
        {
          type: f.type,
          required: f.required,
          ...(f.name !== null ? { name: f.name } : {}),
          ...(f.description !== null ? { description: f.description } : {}),
          ...(f.options !== null ? { options: [...f.options] } : {}),
          ...(f.default !== undefined ? { default: f.default } : {}),
        },
      ]),
    ),
  }
}

/** What a job detail is masked with: the job's secret set and its task's input schema. */
export interface JobMask {
  readonly scrubber: Scrubber
  readonly inputSchema: InputSchema | undefined
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/** Secret fields read `******` whole, and so does any field holding a value in `hidden`. */
function maskInput(
  input: unknown,
  schema: InputSchema | undefined,
  hidden: ReadonlySet<unknown>,
): unknown {
  if (!isRecord(input)) return input
  const out = maskSecretInputs(schema, input, SECRET_MASK)
  for (const [k, v] of Object.entries(out)) if (hidden.has(v)) out[k] = SECRET_MASK
  return out
}

export const jobDetailDto = jobSummaryDto.extend({
  input: z.record(z.string(), jsonDto),
  output: jsonDto,
  revision: z.string(),
  cancel_requested_at: timestampDto.nullable(),
  error_message: z.string().nullable(),
  steps: z.array(stepDto),
})

/**
 * The job detail with secrets masked (API.md §5.2): secret input fields read `******` whole, so
 * do step input fields that hold the value of a secret job input (short ones included), and
 * every secret value found in any string (inputs, outputs, errors) is replaced.
 */
export function toJobDetailDto(
  j: Job,
  steps: ReadonlyArray<StepRun>,
  mask: JobMask,
  /** Why ready steps are not claimed, by step name (workers/waiting-reason.ts). */
  waiting: ReadonlyMap<string, string> = new Map(),
): z.output<typeof jobDetailDto> {
  const input = maskInput(j.input, mask.inputSchema, new Set()) as Record<string, unknown>
  const hidden = new Set(
    Object.keys(j.input)
      .filter((k) => input[k] === SECRET_MASK && j.input[k] !== SECRET_MASK)
      .map((k) => j.input[k]),
  )
  const body: z.output<typeof jobDetailDto> = {
    ...toJobSummaryDto(j),
    input,
    output: j.output ?? null,
    revision: j.revision,
    cancel_requested_at: iso(j.cancelRequestedAt),
    error_message: j.errorMessage,
    steps: steps.map((s) => ({
      ...toStepDto(s),
      input: maskInput(s.input ?? null, s.spec.action.input, hidden),
      ...(waiting.has(s.name) ? { waiting_reason: waiting.get(s.name) } : {}),
    })),
  }
  return maskJsonStrings(body, mask.scrubber) as typeof body
}
