/** Every response carries X-Request-Id: the caller's (when sane) or a new one. */
import type { Context, Next } from 'koa'
import { v4 as uuidv4 } from 'uuid'

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/

export async function requestId(ctx: Context, next: Next): Promise<void> {
  const given = ctx.get('X-Request-Id')
  const id = SANE_ID.test(given) ? given : uuidv4()
  ;(ctx.state as { requestId: string }).requestId = id
  ctx.set('X-Request-Id', id)
  await next()
}
