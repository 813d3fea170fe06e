/**
 * The auth half of the runtime: built once the database is migrated (runtime.ts), reached by the
 * HTTP layer through the deferred wrappers below, which wait for the database like every other
 * database-backed dependency does.
 */
import type { Kysely } from 'kysely'
import type { Config } from '../config/config-schema.ts'
import type { DB } from '../db/schema.ts'
import type { Clock } from '../shared/clock.ts'
import type { Logger } from '../shared/logger.ts'
import { AccountService } from './account-service.ts'
import { AuthService, authSettingsOf } from './auth-service.ts'

export type AuthApi = Pick<AuthService, 'authenticate' | 'login' | 'refresh' | 'logout'>
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

export interface AuthRuntime {
  /** Null when the config has no `auth` section: /api is open. */
  readonly auth: AuthService | null
  readonly accounts: AccountService
}

export async function createAuthRuntime(d: {
  db: Kysely<DB>
  config: Config
  clock: Clock
  logger: Logger
}): Promise<AuthRuntime> {
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

/** Wrappers that wait for the runtime; `enabled` mirrors whether the config has `auth`. */
export function deferAuthRuntime(
  get: () => Promise<AuthRuntime>,
  enabled: boolean,
): { auth: AuthApi | null; accounts: AccountsApi } {
  const service = async (): Promise<AuthService> => {
    const { auth } = await get()
    if (!auth) throw new Error('auth is not configured')
    return auth
  }
  const accounts = async () => (await get()).accounts
  return {
    auth: enabled
      ? {
          authenticate: async (c) => (await service()).authenticate(c),
          login: async (r) => (await service()).login(r),
          refresh: async (r) => (await service()).refresh(r),
          logout: async (p, t) => (await service()).logout(p, t),
        }
      : null,
    accounts: {
      listUsers: async (f) => (await accounts()).listUsers(f),
      getUser: async (id) => (await accounts()).getUser(id),
      createUser: async (u) => (await accounts()).createUser(u),
      updateUser: async (id, p) => (await accounts()).updateUser(id, p),
      createApiKey: async (id, o) => (await accounts()).createApiKey(id, o),
      listApiKeys: async (id) => (await accounts()).listApiKeys(id),
      revokeApiKey: async (p, o) => (await accounts()).revokeApiKey(p, o),
      recordAudit: async (e) => (await accounts()).recordAudit(e),
      listAudit: async (f) => (await accounts()).listAudit(f),
    },
  }
}
