/** What the HTTP layer needs from the rest of the app, passed in by the composition root. */
import type { AccountsApi, AuthApi } from '../auth/create-auth.ts'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { EventFilter } from '../db/repositories/event.repository.ts'
import type { Job, JobListFilter, StepRun, TaskStats } from '../flow/job.ts'
import type { EventStreamRequest } from '../events/event-stream.ts'
import type { Orchestrator } from '../jobs/orchestrator.ts'
import type { JobWaiter } from '../jobs/job-waiter.ts'
import type { ArtifactStore } from '../artifacts/artifact-store.ts'
import type { StateStore } from '../state/state-store.ts'
import type { RemoteStepCalls } from '../workers/remote-step-calls.ts'
import type { RemoteStepFiles } from '../workers/remote-step-files.ts'
import type { WorkerLifecycle } from '../workers/worker-lifecycle.ts'
import type { Metrics } from '../metrics/metrics.ts'
import type { BoundedCount } from '../shared/bounded-count.ts'
import type { Clock } from '../shared/clock.ts'
import type { Logger } from '../shared/logger.ts'
import type { JobStatus } from '../shared/statuses.ts'
import type { WorkspaceRegistry } from '../workspace/workspace-registry.ts'
import type { Workspace } from '../workspace/workspace.ts'
import type { AuditRecorder } from './audit-recorder.ts'
import type { TriggerFire } from './dto.ts'
import type { JobMask } from './job-dto.ts'

export interface ReadinessReport {
  readonly ready: boolean
  readonly shuttingDown: boolean
  readonly checks: Readonly<Record<string, string>>
}

/** The remote worker protocol's engine side (API.md §11). */
export interface WorkerProtocolApi {
  readonly lifecycle: Pick<
    WorkerLifecycle,
    'register' | 'authenticate' | 'heartbeat' | 'drainSelf' | 'undrainSelf' | 'deregister'
  >
  readonly steps: Pick<RemoteStepCalls, 'claim' | 'start' | 'logs' | 'cancelCheck' | 'complete'>
  /** Artifacts and task state of a step (streamed bodies). */
  readonly files: RemoteStepFiles
}

/** The filters of GET /api/events (API.md §8). */
export type EventFilterQuery = EventFilter

/** This replica's SSE streams: `open` takes over the response (head already validated). */
export interface EventStreamOpener {
  open(req: IncomingMessage, res: ServerResponse, r: EventStreamRequest): void
  /** Reads the events table once: throws what the replay would throw (e.g. no database). */
  probe(): Promise<void>
}

export interface ApiDeps {
  readonly registry: WorkspaceRegistry
  /** Jobs' artifacts (list, download). */
  readonly artifacts: Pick<ArtifactStore, 'list' | 'find' | 'read'>
  /** Task state uploads; null when state is off (no `state_storage`). */
  readonly state: Pick<StateStore, 'upload'> | null
  readonly clock: Clock
  readonly logger: Logger
  readonly readiness: () => Promise<ReadinessReport>
  /** Job counts per status, and a task's durations over its last completed jobs. */
  readonly stats: {
    jobsByStatus(workspace?: string): Promise<Record<JobStatus, number>>
    task(workspace: string, task: string, limit: number): Promise<TaskStats>
  }
  /** Holds a request until a job ends (sync webhooks). */
  readonly waiter: JobWaiter
  /** Last fire per trigger name of a workspace (trigger_state). */
  readonly triggerFires: (workspace: string) => Promise<ReadonlyMap<string, TriggerFire>>
  /** Creates and cancels jobs (jobs/orchestrator.ts). */
  readonly orchestrator: Pick<Orchestrator, 'createJob' | 'cancelJob' | 'decideApproval'>
  readonly jobs: {
    get(id: string): Promise<Job | undefined>
    steps(id: string): Promise<StepRun[]>
    list(f: JobListFilter): Promise<{ jobs: Job[]; total: BoundedCount | null }>
  }
  readonly logs: {
    read(
      jobId: string,
      opts: { afterSeq?: number; step?: string },
    ): Promise<{ lines: ReadonlyArray<string>; lastSeq: number }>
  }
  /** This replica's SSE event streams. */
  readonly events: EventStreamOpener
  /** What a job's detail is masked with: its secret set and its task's input schema. */
  readonly jobMask: (job: Job) => JobMask
  /** Renders an input default template with `secret` only (WORKSPACE-FORMAT.md §4.2). */
  readonly renderWithSecrets: (ws: Workspace, template: string) => unknown
  /** Bearer authentication for /api; null when the config has no `auth` section (all open). */
  readonly auth: AuthApi | null
  /** Users and API keys (admin and self-service routes). */
  readonly accounts: AccountsApi
  /** Prometheus registry behind GET /metrics; `metricsToken` is config `metrics.token`. */
  readonly metrics: Metrics
  readonly metricsToken: string | null
  /** Config `metrics.public`: no token needed, whatever `auth` and `metricsToken` say. */
  readonly metricsPublic: boolean
  /** `audit.record(ctx, {action, targetType, targetId, details})` after an audited action. */
  readonly audit: AuditRecorder
  /** Workers as the API shows them, and the operator's actions on them (API.md §7.2, §7.3). */
  readonly workers: Pick<
    WorkerLifecycle,
    'list' | 'get' | 'operatorDrain' | 'operatorUndrain' | 'operatorRevoke'
  >
  /** The remote worker protocol (/worker/*, API.md §11). */
  readonly workerProtocol: {
    /** Timers sent to a worker at registration (server config `workers`). */
    readonly settings: {
      readonly heartbeatIntervalSecs: number
      readonly leaseTtlSecs: number
      readonly maxClaimWaitSecs: number
    }
  } & WorkerProtocolApi
}
