/**
 * GET /api/audit: the audit log, newest first, with filters and the jobs list's paging
 * (limit/offset, X-Total-Count, keyset X-Next-Cursor). Admin-only when auth is on.
 */
import type Router from '@koa/router'
import { BadRequestError } from '../../shared/errors.ts'
import { toAuditDto } from '../account-dto.ts'
import type { ApiDeps } from '../api-deps.ts'
import { boolParam, pageParams, stringParam } from '../query.ts'

function timeParam(q: Record<string, string | string[] | undefined>, key: string) {
  const raw = stringParam(q, key)
  if (raw === undefined) return undefined
  const d = new Date(raw)
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(d.getTime()))
    throw new BadRequestError(`${key} must be an RFC 3339 timestamp, got '${raw}'`, key)
  return d
}

function decodeIdCursor(raw: string): string {
  const id = Buffer.from(raw, 'base64url').toString('utf8')
  if (!/^[1-9]\d{0,18}$/.test(id)) throw new BadRequestError(`invalid cursor '${raw}'`, 'cursor')
  return id
}

export function auditRoutes(router: Router, deps: ApiDeps): void {
  router.get('/api/audit', async (ctx) => {
    const q = ctx.query
    const { limit, offset, rawCursor } = pageParams(q)
    const { entries, total } = await deps.audit.list({
      actor: stringParam(q, 'actor'),
      action: stringParam(q, 'action'),
      targetType: stringParam(q, 'target_type'),
      targetId: stringParam(q, 'target_id'),
      since: timeParam(q, 'since'),
      until: timeParam(q, 'until'),
      limit,
      offset,
      beforeId: rawCursor === undefined ? undefined : decodeIdCursor(rawCursor),
      count: boolParam(q, 'count', true),
    })
    if (total !== null) ctx.set('X-Total-Count', String(total))
    const last = entries[entries.length - 1]
    if (last && entries.length === limit)
      ctx.set('X-Next-Cursor', Buffer.from(last.id).toString('base64url'))
    ctx.body = entries.map(toAuditDto)
  })
}
