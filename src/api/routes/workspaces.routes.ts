/** Workspaces, tasks and triggers (API.md §4.1–§4.3, §4.5). */
import type Router from '@koa/router'
import type { Workspace } from '../../workspace/workspace.ts'
import {
  toTaskDetailDto,
  toTaskSummaryDto,
  toTriggerDto,
  toWorkspaceDto,
  type TriggerFire,
} from '../dto.ts'
import type { ApiDeps } from '../api-deps.ts'
import { nextFireTimes } from '../../scheduler/cron.ts'

const NEXT_RUNS = 5

async function triggerDtos(deps: ApiDeps, ws: Workspace, task?: string) {
  const fires: ReadonlyMap<string, TriggerFire> = await deps.triggerFires(ws.name)
  const now = deps.clock.now()
  return [...ws.triggers.values()]
    .filter((t) => task === undefined || t.task === task)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((t) => {
      const runs =
        t.type === 'scheduler' && t.enabled && t.cron
          ? nextFireTimes(t.cron, t.timezone, now, NEXT_RUNS)
          : []
      return toTriggerDto(ws, t, runs, fires.get(t.name))
    })
}

function byKey(a: Record<string, unknown>, b: Record<string, unknown>, key: string): number {
  const x = String(a[key])
  const y = String(b[key])
  return x < y ? -1 : x > y ? 1 : 0
}

export function workspaceRoutes(router: Router, deps: ApiDeps): void {
  router.get('/api/workspaces', (ctx) => {
    ctx.body = deps.registry.list().map(toWorkspaceDto)
  })

  router.post('/api/workspaces/:ws/refresh', async (ctx) => {
    const entry = await deps.registry.reload(ctx.params.ws!)
    await deps.audit.record(ctx, {
      action: 'workspace.refreshed',
      targetType: 'workspace',
      targetId: ctx.params.ws!,
    })
    ctx.body = toWorkspaceDto(entry)
  })

  router.get('/api/tasks', (ctx) => {
    ctx.body = deps.registry
      .list()
      .flatMap((entry) => {
        const ws = entry.current
        return ws ? [...ws.tasks.values()].map((t) => toTaskSummaryDto(ws, t)) : []
      })
      .sort((a, b) => byKey(a, b, 'workspace') || byKey(a, b, 'name'))
  })

  router.get('/api/workspaces/:ws/tasks', (ctx) => {
    const ws = deps.registry.getWorkspace(ctx.params.ws!)
    ctx.body = [...ws.tasks.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((t) => toTaskSummaryDto(ws, t))
  })

  router.get('/api/workspaces/:ws/tasks/:task', async (ctx) => {
    const { workspace, task } = deps.registry.getTask(ctx.params.ws!, ctx.params.task!)
    ctx.body = toTaskDetailDto(workspace, task, await triggerDtos(deps, workspace, task.name))
  })

  router.get('/api/workspaces/:ws/triggers', async (ctx) => {
    const ws = deps.registry.getWorkspace(ctx.params.ws!)
    ctx.body = await triggerDtos(deps, ws)
  })
}
