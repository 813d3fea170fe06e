/**
 * Users (API.md §7.1, §12.2): list and detail, plus create and update. Admin-only when auth is
 * on (the auth middleware's rules); open like every other route when it is off.
 */
import type Router from '@koa/router'
import { parseCreateUserBody, parseUpdateUserBody, type Parsed } from '../../auth/requests.ts'
import { BadRequestError, ValidationError } from '../../shared/errors.ts'
import { isUuid } from '../../shared/ids.ts'
import { toUserDto } from '../account-dto.ts'
import type { ApiDeps } from '../api-deps.ts'
import { bodyOf } from '../middleware/json-body.ts'
import { boolParam, pageParams } from '../query.ts'

function userId(raw: string | undefined): string {
  if (raw === undefined || !isUuid(raw))
    throw new BadRequestError(`invalid user id '${raw ?? ''}'`, 'user_id')
  return raw
}

function valid<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) throw new ValidationError('invalid request body', parsed.issues)
  return parsed.value
}

function decodeEmailCursor(raw: string): string {
  const email = Buffer.from(raw, 'base64url').toString('utf8')
  if (!email.includes('@')) throw new BadRequestError(`invalid cursor '${raw}'`, 'cursor')
  return email
}

export function userRoutes(router: Router, deps: ApiDeps): void {
  router.get('/api/users', async (ctx) => {
    const q = ctx.query
    const { limit, offset, rawCursor } = pageParams(q)
    const { users, total } = await deps.accounts.listUsers({
      limit,
      offset,
      afterEmail: rawCursor === undefined ? undefined : decodeEmailCursor(rawCursor),
      count: boolParam(q, 'count', true),
    })
    if (total !== null) ctx.set('X-Total-Count', String(total))
    const last = users[users.length - 1]
    if (last && users.length === limit)
      ctx.set('X-Next-Cursor', Buffer.from(last.email.toLowerCase()).toString('base64url'))
    ctx.body = users.map(toUserDto)
  })

  router.get('/api/users/:id', async (ctx) => {
    ctx.body = toUserDto(await deps.accounts.getUser(userId(ctx.params.id)))
  })

  router.post('/api/users', async (ctx) => {
    const body = valid(parseCreateUserBody(bodyOf(ctx)))
    const user = await deps.accounts.createUser({
      email: body.email,
      name: body.name,
      role: body.role ?? 'member',
      password: body.password ?? null,
    })
    await deps.audit.record(ctx, {
      action: 'user.created',
      targetType: 'user',
      targetId: user.id,
      details: { email: user.email, role: user.role },
    })
    ctx.status = 201
    ctx.body = toUserDto(user)
  })

  router.put('/api/users/:id', async (ctx) => {
    const id = userId(ctx.params.id)
    const body = valid(parseUpdateUserBody(bodyOf(ctx)))
    const user = await deps.accounts.updateUser(id, body)
    const changed = Object.keys(body).filter((k) => body[k as keyof typeof body] !== undefined)
    await deps.audit.record(ctx, {
      action: 'user.updated',
      targetType: 'user',
      targetId: id,
      details: {
        email: user.email,
        changed,
        ...(body.role !== undefined ? { role: body.role } : {}),
        ...(body.disabled !== undefined ? { disabled: body.disabled } : {}),
      },
    })
    ctx.body = toUserDto(user)
  })
}
