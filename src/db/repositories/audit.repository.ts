/** audit_log rows: appended by every recorded action, listed newest first with filters. */
import type { Kysely } from 'kysely'
import type { AuditEntry, AuditFilter, NewAuditEntry } from '../../shared/accounts.ts'
import type { AuditLogRow, DB } from '../schema.ts'
import type { BoundedCount } from '../../shared/bounded-count.ts'
import { boundedCount } from '../queries/bounded-count.ts'

function toAuditEntry(r: AuditLogRow): AuditEntry {
  return {
    id: String(r.id),
    at: r.at,
    actorType: r.actor_type,
    actor: r.actor,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    address: r.address,
    outcome: r.outcome,
    details: (r.details ?? null) as Record<string, unknown> | null,
  }
}

export async function insertAuditEntry(db: Kysely<DB>, e: NewAuditEntry): Promise<void> {
  const row = auditRow(e)
  await db
    .insertInto('audit_log')
    .values({ ...row, details: row.details === null ? null : JSON.stringify(row.details) })
    .execute()
}

/** An entry as an audit_log row (details as a value, not yet JSON text). */
export function auditRow(e: NewAuditEntry) {
  return {
    actor_type: e.actorType,
    actor: e.actor,
    action: e.action,
    target_type: e.targetType,
    target_id: e.targetId,
    address: e.address,
    outcome: e.outcome,
    details: e.details,
  }
}

/** Newest first (by id, i.e. insertion order); keyset paging with `beforeId`. */
export async function listAuditEntries(
  db: Kysely<DB>,
  f: AuditFilter,
): Promise<{ entries: AuditEntry[]; total: BoundedCount | null }> {
  let q = db.selectFrom('audit_log')
  if (f.actor !== undefined) q = q.where('actor', '=', f.actor)
  if (f.action !== undefined) q = q.where('action', '=', f.action)
  if (f.targetType !== undefined) q = q.where('target_type', '=', f.targetType)
  if (f.targetId !== undefined) q = q.where('target_id', '=', f.targetId)
  if (f.since !== undefined) q = q.where('at', '>=', f.since)
  if (f.until !== undefined) q = q.where('at', '<', f.until)
  let page = q.selectAll().orderBy('id', 'desc').limit(f.limit)
  if (f.beforeId !== undefined) page = page.where('id', '<', f.beforeId)
  else if (f.offset > 0) page = page.offset(f.offset)
  const [rows, total] = await Promise.all([page.execute(), f.count ? boundedCount(db, q) : null])
  return { entries: rows.map(toAuditEntry), total }
}
