/**
 * The scheduler feature of `weir serve`: cron triggers fired exactly once per slot. It runs on
 * the leader only: each leadership term gets a fresh Scheduler (none when the config disables it).
 */
import type { Config } from '../config/config-schema.ts'
import type { Database } from '../db/create-db.ts'
import type { Jobs } from '../jobs/create-jobs.ts'
import type { Clock } from '../shared/clock.ts'
import type { Logger } from '../shared/logger.ts'
import { renderTemplate } from '../templates/render.ts'
import type { WorkspaceRegistry } from '../workspace/workspace-registry.ts'
import { Scheduler } from './scheduler.ts'

export interface SchedulerFeature {
  /** The loops of one leadership term. */
  leaderLoops(): Scheduler[]
}

export function createScheduler(d: {
  readonly config: Config
  readonly database: Database
  readonly registry: WorkspaceRegistry
  readonly jobs: Jobs
  readonly clock: Clock
  readonly logger: Logger
}): SchedulerFeature {
  const { config } = d
  return {
    leaderLoops: () =>
      config.scheduler.enabled
        ? [
            new Scheduler({
              db: d.database.db,
              registry: d.registry,
              orchestrator: d.jobs.orchestrator,
              clock: d.clock,
              logger: d.logger,
              onCommitted: d.jobs.afterCommit,
              renderDefault: (ws, tpl) =>
                renderTemplate(tpl, { secret: ws.secrets }, { clock: d.clock }),
              defaults: {
                catchUp: config.scheduler.catch_up,
                maxCatchUp: config.scheduler.max_catch_up,
                stepTimeoutSecs: config.defaults.step_timeout_secs,
                jobTimeoutSecs: config.defaults.job_timeout_secs ?? null,
              },
            }),
          ]
        : [],
  }
}
