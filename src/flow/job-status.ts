/**
 * Job-level roll-ups over step snapshots: the job status (API.md §2.1), and the job output and
 * error message (WORKSPACE-FORMAT.md §5.4).
 */
import { isTerminalStepStatus, type JobStatus, type StepStatus } from '../shared/statuses.ts'
import { leafSteps } from './dag.ts'

export interface StepSnapshot {
  readonly name: string
  readonly status: StepStatus
  readonly continueOnFailure: boolean
  readonly output: unknown
  readonly errorMessage: string | null
  readonly actionName: string
  readonly dependsOn: ReadonlyArray<string>
  /** A loop instance (its loop step stands for it in the job's output). */
  readonly loopSource?: string | null
}

/**
 * Job status from its steps. While any step is not terminal the job is `running` once a step was
 * ever claimed, else `pending`; a job only ends when every step is terminal, so the caller ends
 * the steps of a timed-out job first. Then, in order: a requested cancel that left at least one
 * step `cancelled` gives `cancelled` (steps that completed before it do not matter, and neither
 * do failures: the cancel is what the requester sees); a timeout gives `failed`; an untolerated
 * failure gives `failed`; anything else, including a job whose steps were all skipped, is
 * `completed`. A cancel that came too late to stop any step leaves the ordinary roll-up.
 */
export function deriveJobStatus(
  steps: ReadonlyArray<StepSnapshot>,
  opts: { cancelRequested: boolean; everClaimed: boolean; timedOut?: boolean },
): JobStatus {
  if (steps.some((s) => !isTerminalStepStatus(s.status))) {
    return opts.everClaimed ? 'running' : 'pending'
  }
  if (opts.cancelRequested && steps.some((s) => s.status === 'cancelled')) return 'cancelled'
  if (opts.timedOut === true) return 'failed'
  const untolerated = steps.some((s) => s.status === 'failed' && !s.continueOnFailure)
  return untolerated ? 'failed' : 'completed'
}

/** Leaf step name -> output, for leaves whose output is neither null nor undefined; else null. */
export function jobOutput(steps: ReadonlyArray<StepSnapshot>): Record<string, unknown> | null {
  const flow = steps.filter((s) => !s.loopSource)
  const byName = new Map(flow.map((s) => [s.name, s]))
  const output: Record<string, unknown> = {}
  let any = false
  for (const leaf of leafSteps(flow)) {
    const value = byName.get(leaf)?.output
    if (value === null || value === undefined) continue
    output[leaf] = value
    any = true
  }
  return any ? output : null
}

/** A failed step that recorded no message still gets a readable line. */
const MISSING_ERROR = 'unknown error'

/**
 * `Step '<name>': <error>` for every failed step in the given order, tolerated failures included
 * (so a completed job can carry one), joined with `; `; null when no step failed.
 */
export function failedStepsMessage(steps: ReadonlyArray<StepSnapshot>): string | null {
  const parts = steps
    .filter((s) => s.status === 'failed')
    .map((s) => `Step '${s.name}': ${s.errorMessage ?? MISSING_ERROR}`)
  return parts.length > 0 ? parts.join('; ') : null
}
