/**
 * Users (API.md §7.1, §12.2): list and detail, plus create and update. Admin-only when auth is
 * on (the auth middleware's rules); open like every other route when it is off.
 */
import type Router from '@koa/router'
import { z } from 'zod'
import { MAX_PASSWORD_LENGTH } from '../../auth/password.ts'
import { ROLES } from '../../shared/accounts.ts'
import { toUserDto } from '../account-dto.ts'
import type { ApiDeps } from '../api-deps.ts'
import { setTotalCount } from '../list-headers.ts'
import { bodyOf } from '../middleware/json-body.ts'
import { parseUserId } from '../path-ids.ts'
import { cursorExcludesOffset, cursorParam, pageParams } from '../query-params.ts'
import { parseBody, parseQuery } from '../zod-issues.ts'

const EMAIL = /^[^\s@]+@[^\s@]+$/

/** A user's fields as the API and `weir users create` accept them. */
const userFields = {
  email: z.string().refine((v) => v.length <= 320 && EMAIL.test(v), {
    error: (iss) => `'${String(iss.input).slice(0, 80)}' is not an email address`,
  }),
  name: z.string().min(1).max(200),
  role: z.enum(ROLES),
  password: z.string().min(8).max(MAX_PASSWORD_LENGTH),
}

export const createUserBodySchema = z.strictObject({
  email: userFields.email,
  name: userFields.name,
  role: userFields.role.optional(),
  password: userFields.password.optional(),
})

/** `password: null` removes the password. */
export const updateUserBodySchema = z.strictObject({
  name: userFields.name.optional(),
  role: userFields.role.optional(),
  password: userFields.password.nullable().optional(),
  disabled: z.boolean().optional(),
})

/** The cursor is the last user's email (lower-cased), the list's sort key. */
function decodeEmailCursor(raw: string): string | undefined {
  const email = Buffer.from(raw, 'base64url').toString('utf8')
  return email.includes('@') ? email : undefined
}

export const userListQuerySchema = z
  .object({ ...pageParams, cursor: cursorParam(decodeEmailCursor).optional() })
  .superRefine(cursorExcludesOffset)

export function userRoutes(router: Router, deps: ApiDeps): void {
  router.get('/api/users', async (ctx) => {
    const { limit, offset, cursor, count } = parseQuery(userListQuerySchema, ctx.query)
    const { users, total } = await deps.accounts.listUsers({
      limit,
      offset,
      afterEmail: cursor,
      count,
    })
    setTotalCount(ctx, total)
    const last = users[users.length - 1]
    if (last && users.length === limit)
      ctx.set('X-Next-Cursor', Buffer.from(last.email.toLowerCase()).toString('base64url'))
    ctx.body = users.map(toUserDto)
  })

  router.get('/api/users/:id', async (ctx) => {
    ctx.body = toUserDto(await deps.accounts.getUser(parseUserId(ctx.params.id)))
  })

  router.post('/api/users', async (ctx) => {
    const body = parseBody(createUserBodySchema, bodyOf(ctx))
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
    const id = parseUserId(ctx.params.id)
    const body = parseBody(updateUserBodySchema, bodyOf(ctx))
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
