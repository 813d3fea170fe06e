/** `weir api-keys create|revoke|list`: API keys straight in the database (no server needed). */
import { parseArgs } from 'node:util'
import { isApiKeyPrefix, MAX_API_KEY_DAYS } from '../../auth/credentials.ts'
import { CLI_ACTOR, reportFailure, withAccounts } from '../account-db.ts'
import { tryParse } from '../config-args.ts'
import type { Command } from '../index.ts'

const OPTIONS = {
  email: { type: 'string' },
  name: { type: 'string' },
  'expires-days': { type: 'string' },
  config: { type: 'string', short: 'c' },
  help: { type: 'boolean', short: 'h' },
} as const

export const apiKeysCommand: Command = {
  summary:
    'Manage API keys in the configured database.\n' +
    '  create  issue a key for a user and print it once on stdout (expires after\n' +
    '          auth.api_key_default_ttl, 90 days, unless --expires-days)\n' +
    '  revoke  revoke a key by its prefix (the first 12 characters)\n' +
    "  list    print a user's keys",
  usage:
    'weir api-keys create --email E [--name N] [--expires-days N] [--config FILE]\n' +
    '       weir api-keys revoke PREFIX [--config FILE]\n' +
    '       weir api-keys list --email E [--config FILE]',
  async run(ctx) {
    const args = tryParse(() =>
      parseArgs({ args: [...ctx.argv], options: OPTIONS, allowPositionals: true, strict: true }),
    )
    if (!args) return 1
    const [sub, ...rest] = args.positionals
    const v = args.values
    switch (sub) {
      case 'create': {
        const days = v['expires-days']
        const n = days === undefined ? undefined : Number(days)
        if (n !== undefined && (!/^\d+$/.test(days!) || n < 1 || n > MAX_API_KEY_DAYS)) {
          console.error(`weir api-keys create: --expires-days must be 1..${MAX_API_KEY_DAYS}`)
          return 1
        }
        if (!v.email) {
          console.error('weir api-keys create: --email is required')
          return 1
        }
        return withAccounts(ctx, v.config, async (accounts) => {
          try {
            const user = await accounts.getUserByEmail(v.email!)
            const { key, info } = await accounts.createApiKey(user.id, {
              name: v.name ?? 'cli',
              expiresInDays: n,
            })
            await accounts.recordAudit({
              ...CLI_ACTOR,
              action: 'api_key.created',
              targetType: 'api_key',
              targetId: info.prefix,
              outcome: 'success',
              details: { owner: user.email, name: info.name },
            })
            process.stderr.write(
              `API key ${info.prefix} for ${user.email}, expires ${info.expiresAt?.toISOString() ?? 'never'}; ` +
                'it is shown only now:\n',
            )
            console.log(key)
            return 0
          } catch (e) {
            return reportFailure('weir api-keys create', e)
          }
        })
      }
      case 'revoke': {
        const prefix = rest[0]
        if (prefix === undefined || rest.length > 1 || !isApiKeyPrefix(prefix)) {
          console.error('weir api-keys revoke: expected one key prefix (12 characters, weir_…)')
          return 1
        }
        return withAccounts(ctx, v.config, async (accounts) => {
          try {
            const info = await accounts.revokeApiKey(prefix, null)
            await accounts.recordAudit({
              ...CLI_ACTOR,
              action: 'api_key.revoked',
              targetType: 'api_key',
              targetId: info.prefix,
              outcome: 'success',
              details: null,
            })
            console.log(`revoked ${info.prefix} (${info.name})`)
            return 0
          } catch (e) {
            return reportFailure('weir api-keys revoke', e)
          }
        })
      }
      case 'list': {
        if (!v.email) {
          console.error('weir api-keys list: --email is required')
          return 1
        }
        return withAccounts(ctx, v.config, async (accounts) => {
          try {
            const user = await accounts.getUserByEmail(v.email!)
            for (const k of await accounts.listApiKeys(user.id)) {
              const state = k.revokedAt ? 'revoked' : 'active'
              const expires = k.expiresAt?.toISOString() ?? 'never'
              console.log(`${k.prefix}\t${k.name}\t${state}\texpires ${expires}`)
            }
            return 0
          } catch (e) {
            return reportFailure('weir api-keys list', e)
          }
        })
      }
      case undefined:
      default:
        console.error(`weir api-keys: expected 'create', 'revoke' or 'list', got '${sub ?? ''}'`)
        return 1
    }
  },
}
