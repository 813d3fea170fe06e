/**
 * X-Total-Count for lists that can hold millions of rows: exact up to EXACT_COUNT_LIMIT (a
 * count over at most that many index entries, a few ms), and above it PostgreSQL's planner
 * estimate for the same filter (EXPLAIN: no rows read), marked as an estimate. An exact count of
 * a million jobs took 300 ms and dominated every list.
 */
import { CompiledQuery, sql, type Kysely, type SelectQueryBuilder } from 'kysely'
import type { BoundedCount } from '../../shared/bounded-count.ts'
import type { DB } from '../schema.ts'

/** Counts at or below this are exact. */
export const EXACT_COUNT_LIMIT = 10_000

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Filtered = SelectQueryBuilder<DB, any, object>

/** The rows `filtered` selects, exactly up to `limit`, estimated above it (never below it). */
export async function boundedCount(
  db: Kysely<DB>,
  filtered: Filtered,
  limit = EXACT_COUNT_LIMIT,
): Promise<BoundedCount> {
  const capped = filtered.select(sql<number>`1`.as('one')).limit(limit + 1)
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM (${capped}) c`.execute(
    db,
  )
  const exact = Number(rows[0]?.n ?? 0)
  if (exact <= limit) return { total: exact, estimated: false }
  return { total: Math.max(limit + 1, await planEstimate(db, filtered)), estimated: true }
}

/** The planner's row estimate for the filtered rows. */
async function planEstimate(db: Kysely<DB>, filtered: Filtered): Promise<number> {
  const compiled = filtered.select(sql<number>`1`.as('one')).compile()
  const explained = await db.executeQuery<{ 'QUERY PLAN': unknown }>(
    CompiledQuery.raw(`EXPLAIN (FORMAT JSON) ${compiled.sql}`, [...compiled.parameters]),
  )
  const raw = explained.rows[0]?.['QUERY PLAN']
  const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{
    Plan?: { 'Plan Rows'?: number }
  }>
  return Math.round(plan[0]?.Plan?.['Plan Rows'] ?? 0)
}
