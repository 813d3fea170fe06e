/** Domain shapes of stored jobs and step runs (repositories map rows to these). */
import type { JobStatus, SourceType, StepStatus } from '../shared/statuses.ts'
import type { StepSpec } from './step-spec.ts'

export interface Job {
  readonly id: string
  readonly workspace: string
  readonly taskName: string
  readonly mode: string
  readonly status: JobStatus
  readonly sourceType: SourceType
  readonly sourceId: string | null
  readonly input: Record<string, unknown>
  /** The input as submitted, before defaults (what a re-run replays). */
  readonly rawInput?: unknown
  readonly output: unknown
  readonly errorMessage: string | null
  readonly revision: string
  readonly retryOfJobId: string | null
  readonly idempotencyKey: string | null
  readonly cancelRequestedAt: Date | null
  readonly timeoutAt: Date | null
  readonly createdAt: Date
  readonly startedAt: Date | null
  readonly completedAt: Date | null
  readonly logLastSeq: number | null
  /** A sub-task job: the job and step that started it (source_type `task`). */
  readonly parentJobId: string | null
  readonly parentStepName: string | null
  /** A re-run: the job whose input it replays (source_type `rerun`). */
  readonly sourceJobId: string | null
  /** Sub-task nesting: 0 for a top-level job, the parent's + 1 for a child. */
  readonly depth: number
}

export interface StepRun {
  readonly id: string
  readonly jobId: string
  readonly name: string
  readonly position: number
  readonly actionName: string
  readonly actionType: string
  readonly runner: string
  readonly status: StepStatus
  readonly spec: StepSpec
  readonly dependsOn: ReadonlyArray<string>
  readonly input: unknown
  readonly output: unknown
  readonly exitCode: number | null
  readonly errorMessage: string | null
  readonly attempt: number
  readonly workerId: string | null
  readonly leaseToken: string | null
  readonly leaseExpiresAt: Date | null
  readonly stopReason: string | null
  readonly readyAt: Date | null
  readonly claimedAt: Date | null
  readonly startedAt: Date | null
  readonly completedAt: Date | null
  /** An approval step: when it started waiting. */
  readonly suspendedAt: Date | null
  /** A for_each instance: its loop step, index and the loop's size. */
  readonly loopSource: string | null
  readonly loopIndex: number | null
  readonly loopTotal: number | null
  /** A `type: task` step: the child job it started. */
  readonly childJobId: string | null
}

/** What a worker reports when an attempt ends. */
export interface StepOutcome {
  readonly status: 'completed' | 'failed' | 'cancelled'
  readonly exitCode: number | null
  readonly output: unknown
  readonly errorMessage: string | null
}

export interface JobListFilter {
  readonly workspace?: string
  readonly taskName?: string
  readonly statuses?: ReadonlyArray<JobStatus>
  readonly sourceType?: SourceType
  /** Sub-task jobs of one parent job. */
  readonly parentJobId?: string
  readonly limit: number
  readonly offset: number
  readonly cursor?: { readonly createdAt: Date; readonly id: string }
  readonly count: boolean
}

/** Durations in milliseconds over a sample of completed runs. */
export interface DurationStats {
  readonly sampleSize: number
  readonly avgMs: number | null
  readonly p50Ms: number | null
  readonly p95Ms: number | null
  readonly minMs: number | null
  readonly maxMs: number | null
}

/** A task's durations over its last completed jobs, and its steps' (loop instances excluded). */
export interface TaskStats {
  readonly task: DurationStats & {
    readonly recent: ReadonlyArray<{ jobId: string; durationMs: number; completedAt: Date }>
  }
  readonly steps: ReadonlyArray<DurationStats & { readonly stepName: string }>
}
