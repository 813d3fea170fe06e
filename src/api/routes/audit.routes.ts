/**
 * GET /api/audit: the audit log, newest first, with filters and the jobs list's paging
 * (limit/offset, X-Total-Count, keyset X-Next-Cursor). Admin-only when auth is on.
 */
import type Router from '@koa/router'
import { z } from 'zod'
import { toAuditDto } from '../account-dto.ts'
import type { ApiDeps } from '../api-deps.ts'
import { setTotalCount } from '../list-headers.ts'
import { cursorExcludesOffset, cursorParam, pageParams, timeParam } from '../query-params.ts'
import { parseQuery } from '../zod-issues.ts'

/** The cursor is the last entry's id, so the next page holds the entries below it. */
function decodeIdCursor(raw: string): string | undefined {
  const id = Buffer.from(raw, 'base64url').toString('utf8')
  return /^[1-9]\d{0,18}$/.test(id) ? id : undefined
}

export const auditListQuerySchema = z
  .object({
    actor: z.string().optional(),
    action: z.string().optional(),
    target_type: z.string().optional(),
    target_id: z.string().optional(),
    since: timeParam('since').optional(),
    until: timeParam('until').optional(),
    ...pageParams,
    cursor: cursorParam(decodeIdCursor).optional(),
  })
  .superRefine(cursorExcludesOffset)
  .transform((q) => ({
    actor: q.actor,
    action: q.action,
    targetType: q.target_type,
    targetId: q.target_id,
    since: q.since,
    until: q.until,
    limit: q.limit,
    offset: q.offset,
    beforeId: q.cursor,
    count: q.count,
  }))

export function auditRoutes(router: Router, deps: ApiDeps): void {
  router.get('/api/audit', async (ctx) => {
    const filter = parseQuery(auditListQuerySchema, ctx.query)
    const { entries, total } = await deps.audit.list(filter)
    setTotalCount(ctx, total)
    const last = entries[entries.length - 1]
    if (last && entries.length === filter.limit)
      ctx.set('X-Next-Cursor', Buffer.from(last.id).toString('base64url'))
    ctx.body = entries.map(toAuditDto)
  })
}
