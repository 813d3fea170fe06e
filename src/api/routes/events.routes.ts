/**
 * `GET /api/events`: the domain event stream over SSE (API.md §8). Filters and the resume point are
 * checked first, so a bad request still gets a JSON 400, and a resume point is only taken while
 * the events table can be read (else 503); then the response is handed to the replica's event
 * streams, and the handler returns at once (the stream is not an in-flight request).
 */
import type Router from '@koa/router'
import { z } from 'zod'
import { isUuid } from '../../shared/ids.ts'
import { EVENT_TYPES } from '../../shared/events.ts'
import type { ApiDeps, EventFilterQuery } from '../api-deps.ts'
import { parseQuery, type RawQuery } from '../zod-issues.ts'

const KNOWN_TYPES: ReadonlySet<string> = new Set(EVENT_TYPES)

/** Comma-separated event types; blanks are skipped and every unknown type is named. */
const typesParam = z.string().transform((raw, ctx) => {
  const types = raw
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '')
  const unknown = types.filter((t) => !KNOWN_TYPES.has(t))
  if (unknown.length === 0) return types
  const list = unknown.map((t) => `'${t}'`).join(', ')
  ctx.addIssue({
    code: 'custom',
    message: `unknown event type${unknown.length > 1 ? 's' : ''} ${list} in types (known: ${EVENT_TYPES.join(', ')})`,
  })
  return z.NEVER
})

function eventIdParam(key: string) {
  return z
    .string()
    .refine((raw) => /^\d{1,16}$/.test(raw) && Number.isSafeInteger(Number(raw)), {
      error: (iss) => `${key} must be a non-negative integer, got '${String(iss.input)}'`,
    })
    .transform(Number)
}

/**
 * `workspace`, `job_id`, `types` and the resume point, which the `Last-Event-ID` header (passed
 * in under that name) gives ahead of `last_event_id`; no resume point means live events only.
 */
export const eventStreamParamsSchema = z
  .object({
    workspace: z.string().optional(),
    job_id: z
      .string()
      .refine(isUuid, { error: (iss) => `invalid job id '${String(iss.input)}'` })
      .optional(),
    types: typesParam.optional(),
    last_event_id: eventIdParam('last_event_id').optional(),
    'Last-Event-ID': eventIdParam('Last-Event-ID').optional(),
  })
  .transform((q) => {
    const filter: EventFilterQuery = {
      ...(q.workspace !== undefined ? { workspace: q.workspace } : {}),
      ...(q.job_id !== undefined ? { jobId: q.job_id } : {}),
      ...(q.types !== undefined && q.types.length > 0 ? { types: q.types } : {}),
    }
    return { filter, lastEventId: q['Last-Event-ID'] ?? q.last_event_id }
  })

/** The stream's filter and resume point; a 400 names every bad parameter. */
export function parseEventStreamParams(
  query: RawQuery,
  lastEventIdHeader: string,
): { filter: EventFilterQuery; lastEventId: number | undefined } {
  return parseQuery(eventStreamParamsSchema, {
    ...query,
    'Last-Event-ID': lastEventIdHeader.trim(),
  })
}

export function eventRoutes(router: Router, deps: ApiDeps): void {
  router.get('/api/events', async (ctx) => {
    const { filter, lastEventId } = parseEventStreamParams(ctx.query, ctx.get('Last-Event-ID'))
    const streams = deps.events
    // A replay needs the database: find out before the head is sent (503 rather than 200-then-end).
    if (lastEventId !== undefined) await streams.probe()
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
