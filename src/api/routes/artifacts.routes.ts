/** A job's artifacts: the list, and each file streamed whole or by byte range. */
import type Router from '@koa/router'
import { AppError, NotFoundError } from '../../shared/errors.ts'
import { artifactUrl } from '../../flow/hooks.ts'
import type { ApiDeps } from '../api-deps.ts'
import { contentDispositionOf, contentTypeHeader } from '../artifact-headers.ts'
import { parseByteRange } from '../byte-range.ts'
import { iso } from '../dto.ts'
import { parseJobId } from '../path-ids.ts'

export function artifactRoutes(router: Router, deps: ApiDeps): void {
  const jobOf = async (raw: string | undefined) => {
    const id = parseJobId(raw)
    if (!(await deps.jobs.get(id))) throw new NotFoundError(`job '${id}' not found`)
    return id
  }

  router.get('/api/jobs/:id/artifacts', async (ctx) => {
    const id = await jobOf(ctx.params.id)
    const list = await deps.artifacts.list(id)
    ctx.body = list.map((a) => ({
      name: a.name,
      content_type: a.contentType,
      size_bytes: a.sizeBytes,
      step_name: a.stepName,
      created_at: iso(a.createdAt),
      url: artifactUrl(id, a.name),
    }))
  })

  router.get('/api/jobs/:id/artifacts/*name', async (ctx) => {
    const id = await jobOf(ctx.params.id)
    const name = ctx.params.name ?? ''
    const a = await deps.artifacts.find(id, name)
    if (!a) throw new NotFoundError(`artifact '${name}' not found in job '${id}'`)
    ctx.set('X-Content-Type-Options', 'nosniff')
    ctx.set('Content-Security-Policy', "default-src 'none'; sandbox")
    ctx.set('Cache-Control', 'private, max-age=0, must-revalidate')
    ctx.set('Accept-Ranges', 'bytes')
    const range = parseByteRange(ctx.get('Range') || undefined, a.sizeBytes)
    if (range.kind === 'unsatisfiable') {
      ctx.set('Content-Range', `bytes */${a.sizeBytes}`)
      throw new AppError(
        `range '${ctx.get('Range')}' is outside artifact '${name}' (${a.sizeBytes} bytes)`,
        { code: 'range_not_satisfiable', status: 416, field: 'Range' },
      )
    }
    ctx.set('Content-Disposition', contentDispositionOf(a.name, a.contentType))
    ctx.type = contentTypeHeader(a.contentType)
    if (range.kind === 'range') {
      ctx.status = 206
      ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${a.sizeBytes}`)
      ctx.length = range.end - range.start + 1
      ctx.body = deps.artifacts.read(a, { start: range.start, end: range.end })
    } else {
      ctx.length = a.sizeBytes
      ctx.body = a.sizeBytes === 0 ? '' : deps.artifacts.read(a)
    }
  })
}
