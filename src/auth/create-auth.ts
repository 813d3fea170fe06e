/**
 * The auth feature of `weir serve`: users, API keys and the audit log (always), and the
 * authenticator of /api when the config has an `auth` section. Built once the database is
 * migrated; creates the configured initial admin on first start.
 */
import type { Kysely } from 'kysely'
import type { Config } from '../config/config-schema.ts'
import type { DB } from '../db/schema.ts'
import type { Clock } from '../shared/clock.ts'
import type { Logger } from '../shared/logger.ts'
import { AccountService } from './account-service.ts'
import { AuthService, authSettingsOf } from './auth-service.ts'

export type AuthApi = Pick<
  AuthService,
  'authenticate' | 'login' | 'refresh' | 'logout' | 'refreshTokenTtlSecs'
>
export type AccountsApi = Pick<
  AccountService,
  | 'listUsers'
  | 'getUser'
  | 'createUser'
  | 'updateUser'
  | 'createApiKey'
  | 'listApiKeys'
  | 'revokeApiKey'
  | 'recordAudit'
  | 'listAudit'
>

export interface Auth {
  /** Null when the config has no `auth` section: /api is open. */
  readonly auth: AuthService | null
  readonly accounts: AccountService
}

export async function createAuth(d: {
  db: Kysely<DB>
  config: Config
  clock: Clock
  logger: Logger
}): Promise<Auth> {
  const settings = d.config.auth ? authSettingsOf(d.config.auth) : null
  const accounts = new AccountService({
    db: d.db,
    clock: d.clock,
    apiKeyDefaultTtlSecs: settings?.apiKeyDefaultTtlSecs,
  })
  const initial = d.config.auth?.initial_user
  const initialId = initial ? await accounts.ensureInitialUser(initial) : null
  if (initial && initialId !== null) {
    d.logger.info({ email: initial.email }, 'created the initial admin user')
    await accounts.recordAudit({
      actorType: 'system',
      actor: 'config',
      action: 'user.created',
      targetType: 'user',
      targetId: initialId,
      address: null,
      outcome: 'success',
      details: { email: initial.email, role: 'admin', initial_user: true },
    })
  }
  const auth = settings ? new AuthService({ db: d.db, settings, clock: d.clock }) : null
  return { auth, accounts }
}
