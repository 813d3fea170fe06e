/** What the scheduler's parts share: its dependencies, one trigger to fire, and pass results. */
import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.ts'
import type { AfterCommit } from '../flow/after-commit.ts'
import type { Orchestrator } from '../jobs/orchestrator.ts'
import type { Clock } from '../shared/clock.ts'
import type { Logger } from '../shared/logger.ts'
import type { WorkspaceRegistry } from '../workspace/workspace-registry.ts'
import type { CatchUpPolicy, TriggerDef, Workspace } from '../workspace/workspace.ts'

export interface SchedulerDeps {
  readonly db: Kysely<DB>
  readonly registry: Pick<WorkspaceRegistry, 'list' | 'onChange' | 'reload'>
  readonly orchestrator: Pick<Orchestrator, 'insertJobs' | 'requestCancel'>
  readonly clock: Clock
  readonly logger: Logger
  /** Runs a fire's effects (events, `_server` lines, wake-ups) after its transaction commits. */
  readonly onCommitted: (fx: AfterCommit) => void
  /** Renders a `{{ secret.* }}` input default (WORKSPACE-FORMAT.md §4.1); defaults stay as written without it. */
  readonly renderDefault?: (workspace: Workspace, template: string) => unknown
  readonly defaults: {
    readonly catchUp: CatchUpPolicy
    readonly maxCatchUp: number
    readonly stepTimeoutSecs: number
    readonly jobTimeoutSecs: number | null
  }
}

/** The scheduler's dependencies plus its scoped logger, handed to each part. */
export interface SchedulerContext {
  readonly d: SchedulerDeps
  readonly log: Logger
}

/** A cron trigger of a serving workspace version, with the spec hash its trigger_state row must carry. */
export interface Target {
  readonly workspace: Workspace
  readonly trigger: TriggerDef & { readonly cron: string }
  readonly specHash: string
}

export interface RunResult {
  readonly fired: number
  /** Slots that will never fire: skipped by catch-up (as listed), by `concurrency: skip` or by bad input. */
  readonly skipped: number
}

/** The key of a trigger in the scheduler's target map. */
export function targetKey(workspace: string, trigger: string): string {
  return JSON.stringify([workspace, trigger])
}
