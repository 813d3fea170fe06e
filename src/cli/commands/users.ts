/** `weir users create|list`: manage users straight in the database (no server needed). */
import { parseArgs } from 'node:util'
import { createUserBodySchema } from '../../api/routes/users.routes.ts'
import { validateRequest } from '../../api/zod-issues.ts'
import { isRole, ROLES, type Role } from '../../shared/accounts.ts'
import { CLI_ACTOR, readStdin, reportFailure, withAccounts } from '../account-db.ts'
import { tryParse } from '../config-args.ts'
import type { Command } from '../index.ts'

const OPTIONS = {
  email: { type: 'string' },
  name: { type: 'string' },
  role: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  config: { type: 'string', short: 'c' },
  help: { type: 'boolean', short: 'h' },
} as const

/** The API's rules for a new user's fields; the role is checked on its own, as a flag. */
const createUserArgs = createUserBodySchema.pick({ email: true, name: true, password: true })

export const usersCommand: Command = {
  summary:
    'Manage users in the configured database.\n' +
    '  create  add a user (role member unless --role; a password only with --password-stdin)\n' +
    '  list    print every user: email, role, state',
  usage:
    'weir users create --email E --name N [--role admin|member|viewer] [--password-stdin] [--config FILE]\n' +
    '       weir users list [--config FILE]',
  async run(ctx) {
    const args = tryParse(() =>
      parseArgs({ args: [...ctx.argv], options: OPTIONS, allowPositionals: true, strict: true }),
    )
    if (!args) return 1
    const [sub, ...extra] = args.positionals
    const v = args.values
    if (extra.length > 0) {
      console.error(`weir users: unexpected argument '${extra[0]}'`)
      return 1
    }
    if (sub === 'list') {
      return withAccounts(ctx, v.config, async (accounts) => {
        const { users } = await accounts.listUsers({ limit: 10_000, offset: 0, count: false })
        for (const u of users) {
          const state = u.disabledAt ? 'disabled' : 'active'
          console.log(`${u.email}\t${u.role}\t${state}\t${u.name}\t${u.id}`)
        }
        return 0
      })
    }
    if (sub !== 'create') {
      console.error(`weir users: expected 'create' or 'list', got '${sub ?? ''}'`)
      return 1
    }
    const role = v.role ?? 'member'
    const problems: string[] = []
    if (!isRole(role)) problems.push(`--role must be one of ${ROLES.join(', ')}`)
    const password = v['password-stdin'] ? await readStdin() : undefined
    const checked = validateRequest(createUserArgs, {
      email: v.email,
      name: v.name,
      ...(password !== undefined ? { password } : {}),
    })
    if (!checked.ok) for (const i of checked.issues) problems.push(`--${i.path}: ${i.message}`)
    if (problems.length > 0) {
      for (const p of problems) console.error(`weir users create: ${p}`)
      return 1
    }
    return withAccounts(ctx, v.config, async (accounts) => {
      try {
        const user = await accounts.createUser({
          email: v.email!,
          name: v.name!,
          role: role as Role,
          password: password ?? null,
        })
        await accounts.recordAudit({
          ...CLI_ACTOR,
          action: 'user.created',
          targetType: 'user',
          targetId: user.id,
          outcome: 'success',
          details: { email: user.email, role: user.role },
        })
        console.log(`created user ${user.email} (${user.role}): ${user.id}`)
        return 0
      } catch (e) {
        return reportFailure('weir users create', e)
      }
    })
  },
}
