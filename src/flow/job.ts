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
  readonly limit: number
  readonly offset: number
  readonly cursor?: { readonly createdAt: Date; readonly id: string }
  readonly count: boolean
}
