/**
 * Task state uploads (STROEM-REFERENCE.md §3.2): a gzip tar body (may be empty) streamed to a
 * temporary file, `mode=replace|merge`, and every other query key a string value of state.json.
 * Answers 201 {snapshot_id, job_id}: the upload is recorded as a completed job of source type
 * `upload`. The task route needs `operate`, the workspace's global state `admin` (access rules).
 */
import type Router from '@koa/router'
import type { Context } from 'koa'
import { NotFoundError } from '../../shared/errors.ts'
import type { ApiDeps } from '../api-deps.ts'
import { principalOf } from '../middleware/auth.ts'
import { declaredLength, withStreamedBody } from '../streamed-body.ts'

async function upload(ctx: Context, deps: ApiDeps, workspace: string, task: string | null) {
  await withStreamedBody(ctx, async () => {
    const state = deps.state
    if (!state) throw new NotFoundError('task state is off on this server (no state_storage)')
    const ws =
      task === null
        ? deps.registry.getWorkspace(workspace)
        : deps.registry.getTask(workspace, task).workspace
    const res = await state.upload({
      workspace,
      taskName: task,
      revision: ws.revision,
      query: ctx.query,
      body: ctx.req,
      declaredBytes: declaredLength(ctx),
      sourceId: principalOf(ctx)?.email ?? null,
    })
    ctx.status = 201
    ctx.body = { snapshot_id: res.snapshotId, job_id: res.jobId }
  })
}

export function stateRoutes(router: Router, deps: ApiDeps): void {
  router.post('/api/workspaces/:ws/tasks/:task/state', (ctx) =>
    upload(ctx, deps, ctx.params.ws ?? '', ctx.params.task ?? ''),
  )
  router.post('/api/workspaces/:ws/state', (ctx) => upload(ctx, deps, ctx.params.ws ?? '', null))
}
