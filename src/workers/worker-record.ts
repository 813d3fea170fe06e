/** Domain shapes of workers (API.md §7.2); repositories map rows to these. */
import type { WorkerStatus } from '../shared/statuses.ts'

export const WORKER_CAPABILITIES = ['script', 'docker', 'kubernetes'] as const
export type WorkerCapability = (typeof WORKER_CAPABILITIES)[number]

export interface WorkerRecord {
  readonly id: string
  readonly name: string
  readonly kind: 'remote' | 'embedded'
  readonly status: WorkerStatus
  readonly tags: ReadonlyArray<string>
  readonly capabilities: ReadonlyArray<string>
  readonly version: string | null
  readonly hostname: string | null
  readonly maxConcurrency: number
  readonly runningSteps: number
  readonly bootId: string | null
  readonly lastHeartbeat: Date | null
  readonly registeredAt: Date
  readonly drainingSince: Date | null
  readonly drainReason: string | null
  /** Who drained it: `operator` (API) or `worker` (its own /worker/drain). */
  readonly drainedBy: string | null
}

/** One step a worker ran, for the worker detail's `recent_jobs`. */
export interface WorkerStepRecord {
  readonly jobId: string
  readonly workspace: string
  readonly taskName: string
  readonly jobStatus: string
  readonly stepName: string
  readonly stepStatus: string
  readonly startedAt: Date | null
  readonly completedAt: Date | null
}

export interface WorkerListFilter {
  readonly limit: number
  readonly offset: number
  readonly count: boolean
}
