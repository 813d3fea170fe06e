/**
 * `GET /api/events`: the domain event stream over SSE (API.md §8). Filters and the resume point are
 * checked first, so a bad request still gets a JSON 400; then the response is handed to the
 * replica's event streams, and the handler returns at once (the stream is not an in-flight request).
 */
import type Router from '@koa/router'
import { BadRequestError } from '../../shared/errors.ts'
import { EVENT_TYPES } from '../../shared/events.ts'
import type { ApiDeps, EventFilterQuery } from '../api-deps.ts'
import { parseJobId, stringParam } from '../query.ts'

type Query = Record<string, string | string[] | undefined>

const KNOWN_TYPES: ReadonlySet<string> = new Set(EVENT_TYPES)

/** `workspace`, `job_id` and `types` (comma-separated); unknown types are named in a 400. */
export function parseEventFilter(q: Query): EventFilterQuery {
  const workspace = stringParam(q, 'workspace')
  const jobId = stringParam(q, 'job_id')
  const rawTypes = stringParam(q, 'types')
  const types = rawTypes
    ?.split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '')
  const unknown = (types ?? []).filter((t) => !KNOWN_TYPES.has(t))
  if (unknown.length > 0) {
    const list = unknown.map((t) => `'${t}'`).join(', ')
    throw new BadRequestError(
      `unknown event type${unknown.length > 1 ? 's' : ''} ${list} in types (known: ${EVENT_TYPES.join(', ')})`,
      'types',
    )
  }
  return {
    ...(workspace !== undefined ? { workspace } : {}),
    ...(jobId !== undefined ? { jobId: parseJobId(jobId) } : {}),
    ...(types !== undefined && types.length > 0 ? { types } : {}),
  }
}

/** The resume point: the Last-Event-ID header wins over `last_event_id`; undefined = live only. */
export function parseLastEventId(header: string, q: Query): number | undefined {
  const fromHeader = header.trim() !== ''
  const raw = fromHeader ? header.trim() : stringParam(q, 'last_event_id')
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (!/^\d{1,16}$/.test(raw) || !Number.isSafeInteger(n)) {
    const field = fromHeader ? 'Last-Event-ID' : 'last_event_id'
    throw new BadRequestError(`${field} must be a non-negative integer, got '${raw}'`, field)
  }
  return n
}

export function eventRoutes(router: Router, deps: ApiDeps): void {
  router.get('/api/events', async (ctx) => {
    const filter = parseEventFilter(ctx.query)
    const lastEventId = parseLastEventId(ctx.get('Last-Event-ID'), ctx.query)
    const streams = await deps.events()
    ctx.status = 200
    ctx.respond = false
    deps.metrics.trackStream('sse', 1)
    streams.open(ctx.req, ctx.res, {
      filter,
      lastEventId,
      onClose: () => deps.metrics.trackStream('sse', -1),
    })
  })
}
