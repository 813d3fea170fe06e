/** What the HTTP layer needs from the rest of the app, passed in by the composition root. */
import type { Clock } from '../shared/clock.ts'
import type { Logger } from '../shared/logger.ts'
import type { WorkspaceRegistry } from '../workspace/workspace-registry.ts'
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
}
