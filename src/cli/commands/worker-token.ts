/**
 * `weir worker-token create|list|revoke`: enrollment tokens for `POST /worker/register`, straight
 * in the configured database (no server needed). Only a hash is stored; `create` prints the token
 * once. The server config's `worker_token` works alongside these.
 */
import { parseArgs } from 'node:util'
import {
  insertEnrollmentToken,
  listEnrollmentTokens,
  revokeEnrollmentTokens,
} from '../../db/repositories/enrollment-token.repository.ts'
import { hashSecret } from '../../workers/worker-credentials.ts'
import { systemClock } from '../../shared/clock.ts'
import { newRowId, newSecret } from '../../shared/ids.ts'
import { parseDuration } from '../../workspace/duration.ts'
import { withDatabase } from '../command-database.ts'
import { tryParse } from '../config-args.ts'
import type { Command } from '../index.ts'

const OPTIONS = {
  name: { type: 'string' },
  uses: { type: 'string' },
  expires: { type: 'string' },
  config: { type: 'string', short: 'c' },
  help: { type: 'boolean', short: 'h' },
} as const

const NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/

/** Options of `create`, checked together: every problem in one message. */
export function parseCreateOptions(v: {
  name?: string
  uses?: string
  expires?: string
}): { name: string; uses: number | null; expiresInSecs: number | null } | string[] {
  const problems: string[] = []
  if (v.name === undefined || !NAME_RE.test(v.name))
    problems.push('--name is required: 1-64 characters of A-Z a-z 0-9 _ . -')
  let uses: number | null = null
  if (v.uses !== undefined) {
    if (!/^\d+$/.test(v.uses) || Number(v.uses) < 1 || Number(v.uses) > 1_000_000)
      problems.push(`--uses must be a whole number from 1 to 1000000, got '${v.uses}'`)
    else uses = Number(v.uses)
  }
  let expiresInSecs: number | null = null
  if (v.expires !== undefined) {
    // Durations count in h, m and s; a plain number of days (`7d`) is accepted too.
    const days = /^(\d+)d$/.exec(v.expires)
    const d = parseDuration(days ? String(Number(days[1]) * 86_400) : v.expires)
    if (!d.ok) problems.push(`--expires must be a duration like 7d, 12h or 30m, got '${v.expires}'`)
    else expiresInSecs = d.seconds
  }
  return problems.length > 0 ? problems : { name: v.name!, uses, expiresInSecs }
}

export const workerTokenCommand: Command = {
  summary:
    'Manage enrollment tokens for remote workers (weir worker --token) in the configured database.\n' +
    '  create  issue a token and print it once on stdout (--uses: how many registrations it\n' +
    '          allows, default unlimited; --expires: e.g. 7d, 12h, default never)\n' +
    '  list    print issued tokens (never the tokens themselves)\n' +
    '  revoke  revoke the tokens with a name',
  usage:
    'weir worker-token create --name N [--uses N] [--expires 7d] [--config FILE]\n' +
    '       weir worker-token list [--config FILE]\n' +
    '       weir worker-token revoke NAME [--config FILE]',
  async run(ctx) {
    const args = tryParse(() =>
      parseArgs({ args: [...ctx.argv], options: OPTIONS, allowPositionals: true, strict: true }),
    )
    if (!args) return 2
    const [sub, ...rest] = args.positionals
    const v = args.values
    switch (sub) {
      case 'create': {
        const opts = parseCreateOptions(v)
        if (Array.isArray(opts)) {
          for (const p of opts) console.error(`weir worker-token create: ${p}`)
          return 2
        }
        return withDatabase(ctx, v.config, async (database) => {
          const token = newSecret('wet_', 32)
          const expiresAt =
            opts.expiresInSecs === null
              ? null
              : new Date(systemClock.nowMs() + opts.expiresInSecs * 1000)
          await insertEnrollmentToken(database.db, {
            id: newRowId(),
            name: opts.name,
            tokenHash: hashSecret(token),
            usesLeft: opts.uses,
            expiresAt,
          })
          process.stderr.write(
            `enrollment token '${opts.name}' (${opts.uses ?? 'unlimited'} uses, expires ` +
              `${expiresAt?.toISOString() ?? 'never'}); it is shown only now:\n`,
          )
          console.log(token)
          return 0
        })
      }
      case 'list':
        return withDatabase(ctx, v.config, async (database) => {
          for (const t of await listEnrollmentTokens(database.db)) {
            const state = t.revokedAt ? 'revoked' : 'active'
            console.log(
              `${t.name}\t${state}\tuses left ${t.usesLeft ?? 'unlimited'}\texpires ` +
                `${t.expiresAt?.toISOString() ?? 'never'}\tcreated ${t.createdAt.toISOString()}`,
            )
          }
          return 0
        })
      case 'revoke': {
        const name = rest[0]
        if (name === undefined || rest.length > 1) {
          console.error('weir worker-token revoke: expected one token name')
          return 2
        }
        return withDatabase(ctx, v.config, async (database) => {
          const n = await revokeEnrollmentTokens(database.db, name)
          if (n === 0) {
            console.error(`weir worker-token revoke: no active token named '${name}'`)
            return 1
          }
          console.log(`revoked ${n} token${n === 1 ? '' : 's'} named '${name}'`)
          return 0
        })
      }
      case undefined:
      default:
        console.error(
          `weir worker-token: expected 'create', 'list' or 'revoke', got '${sub ?? ''}'`,
        )
        return 2
    }
  },
}
