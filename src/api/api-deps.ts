/** What the HTTP layer needs from the rest of the app, passed in by the composition root. */
import type { Job, JobListFilter, StepRun } from '../engine/job.ts'
import type { CreateJobRequest } from '../engine/orchestrator.ts'
import type { Clock } from '../shared/clock.ts'
import type { Logger } from '../shared/logger.ts'
import type { JobStatus } from '../shared/statuses.ts'
import type { WorkspaceRegistry } from '../workspace/workspace-registry.ts'
import type { Workspace } from '../workspace/workspace.ts'
import type { TriggerFire } from './dto.ts'

export interface ReadinessReport {
  readonly ready: boolean
  readonly shuttingDown: boolean
  readonly checks: Readonly<Record<string, string>>
}

export interface ApiDeps {
  readonly registry: WorkspaceRegistry
  readonly clock: Clock
  readonly logger: Logger
  readonly readiness: () => Promise<ReadinessReport>
  /** Last fire per trigger name of a workspace (trigger_state). */
  readonly triggerFires: (workspace: string) => Promise<ReadonlyMap<string, TriggerFire>>
  readonly engine: {
    createJob(req: CreateJobRequest): Promise<{ jobId: string; created: boolean }>
    cancelJob(id: string): Promise<{ status: JobStatus; cancelRequestedAt: Date }>
  }
  readonly jobs: {
    get(id: string): Promise<Job | undefined>
    steps(id: string): Promise<StepRun[]>
    list(f: JobListFilter): Promise<{ jobs: Job[]; total: number | null }>
  }
  readonly logs: {
    read(
      jobId: string,
      opts: { afterSeq?: number; step?: string },
    ): Promise<{ lines: ReadonlyArray<string>; lastSeq: number }>
  }
  /** Secret values of a workspace, masked in API responses. */
  readonly secretsOf: (workspace: string) => ReadonlyArray<string>
  /** Renders an input default template with `secret` only (WORKSPACE-FORMAT.md §4.2). */
  readonly renderWithSecrets: (ws: Workspace, template: string) => unknown
}
