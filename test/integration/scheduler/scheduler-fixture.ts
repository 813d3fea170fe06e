/** What the scheduler tests share: a real orchestrator and scheduler over one workspace 'w'. */
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Database } from '../../../src/db/create-db.ts'
import { Orchestrator } from '../../../src/jobs/orchestrator.ts'
import { Scheduler } from '../../../src/scheduler/scheduler.ts'
import type { Clock } from '../../../src/shared/clock.ts'
import { silentLogger } from '../../../src/shared/logger.ts'
import { loadWorkspace } from '../../../src/workspace/load-workspace.ts'
import { WorkspaceRegistry } from '../../../src/workspace/workspace-registry.ts'

/** A temp folder with `.workflows/` served as workspace 'w' (reload it after writing files). */
export function workspaceW(prefix: string): { dir: string; registry: WorkspaceRegistry } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  mkdirSync(join(dir, '.workflows'))
  const registry = new WorkspaceRegistry({
    sources: { w: { type: 'folder', path: dir } },
    loader: (name, root) => loadWorkspace(name, root),
    logger: silentLogger(),
  })
  return { dir, registry }
}

/** A scheduler (server default catch_up: latest) with its own orchestrator on `database`. */
export function schedulerOn(
  database: Database,
  registry: WorkspaceRegistry,
  clock: Clock,
): Scheduler {
  const orchestrator = new Orchestrator({
    db: database.db,
    clock,
    logger: silentLogger(),
    workspaceFor: () => registry.getEntry('w').current ?? undefined,
    onCommitted: () => {},
    defaults: { stepTimeoutSecs: 60, jobTimeoutSecs: null },
    logOwner: null,
  })
  return new Scheduler({
    db: database.db,
    registry,
    orchestrator,
    clock,
    logger: silentLogger(),
    onCommitted: () => {},
    defaults: { catchUp: 'latest', maxCatchUp: 10, stepTimeoutSecs: 60, jobTimeoutSecs: null },
  })
}
