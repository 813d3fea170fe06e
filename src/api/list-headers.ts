/**
 * Paging headers of the list routes (API.md §1.5): X-Total-Count, and beside it
 * X-Total-Count-Estimated: true when the total is an estimate (lists above the exact-count
 * threshold, see db/queries/bounded-count.ts).
 */
import type { Context } from 'koa'
import type { BoundedCount } from '../shared/bounded-count.ts'

export function setTotalCount(ctx: Context, total: number | BoundedCount | null): void {
  if (total === null) return
  if (typeof total === 'number') {
    ctx.set('X-Total-Count', String(total))
    return
  }
  ctx.set('X-Total-Count', String(total.total))
  if (total.estimated) ctx.set('X-Total-Count-Estimated', 'true')
}
