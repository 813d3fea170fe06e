/**
 * Users, API keys and the audit log over the repositories: what the admin routes, the
 * self-service key routes and the operator CLI call. Works whether or not `auth` is configured.
 */
import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import {
  findApiKeyByPrefix,
  insertApiKey,
  listApiKeysOfUser,
  revokeApiKey,
} from '../db/repositories/api-key.repository.ts'
import { insertAuditEntry, listAuditEntries } from '../db/repositories/audit.repository.ts'
import { revokeRefreshFamiliesOfUser } from '../db/repositories/refresh-token.repository.ts'
import {
  findUserByEmail,
  findUserSummary,
  insertUser,
  insertUserIfNoneExist,
  listUsers,
  updateUser,
  type UserPatch,
} from '../db/repositories/user.repository.ts'
import type { DB } from '../db/schema.ts'
import type {
  ApiKeyInfo,
  AuditEntry,
  AuditFilter,
  NewAuditEntry,
  Role,
  User,
  UserSummary,
} from '../shared/accounts.ts'
import type { BoundedCount } from '../shared/bounded-count.ts'
import type { Clock } from '../shared/clock.ts'
import { NotFoundError } from '../shared/errors.ts'
import { newApiKey } from './credentials.ts'
import { hashPassword } from './password.ts'

export const DEFAULT_API_KEY_TTL_SECS = 90 * 86_400

export class AccountService {
  readonly #db: Kysely<DB>
  readonly #clock: Clock
  readonly #apiKeyDefaultTtlSecs: number

  constructor(d: { db: Kysely<DB>; clock: Clock; apiKeyDefaultTtlSecs?: number }) {
    this.#db = d.db
    this.#clock = d.clock
    this.#apiKeyDefaultTtlSecs = d.apiKeyDefaultTtlSecs ?? DEFAULT_API_KEY_TTL_SECS
  }

  listUsers(f: {
    limit: number
    offset: number
    afterEmail?: string
    count: boolean
  }): Promise<{ users: UserSummary[]; total: number | null }> {
    return listUsers(this.#db, { ...f, now: this.#clock.now() })
  }

  async getUser(id: string): Promise<UserSummary> {
    const user = await findUserSummary(this.#db, id, this.#clock.now())
    if (!user) throw new NotFoundError(`user '${id}' not found`)
    return user
  }

  async getUserByEmail(email: string): Promise<User> {
    const user = await findUserByEmail(this.#db, email)
    if (!user) throw new NotFoundError(`no user with email '${email}'`)
    return user
  }

  async createUser(u: {
    email: string
    name: string
    role: Role
    password: string | null
  }): Promise<UserSummary> {
    const created = await insertUser(this.#db, {
      id: randomUUID(),
      email: u.email,
      name: u.name,
      role: u.role,
      passwordHash: u.password === null ? null : await hashPassword(u.password),
    })
    return { ...created, hasActiveApiKey: false }
  }

  /** Creates the configured first admin if the users table is empty; its id when it did. */
  async ensureInitialUser(u: {
    email: string
    password: string
    name?: string
  }): Promise<string | null> {
    return insertUserIfNoneExist(this.#db, {
      id: randomUUID(),
      email: u.email,
      name: u.name ?? u.email.split('@')[0] ?? u.email,
      role: 'admin',
      passwordHash: await hashPassword(u.password),
    })
  }

  /** Changes a user; disabling one also ends their sessions (keys stop working via disabled_at). */
  async updateUser(
    id: string,
    patch: { name?: string; role?: Role; password?: string | null; disabled?: boolean },
  ): Promise<UserSummary> {
    const now = this.#clock.now()
    const dbPatch: UserPatch = {
      name: patch.name,
      role: patch.role,
      disabled: patch.disabled,
      passwordHash:
        patch.password === undefined
          ? undefined
          : patch.password === null
            ? null
            : await hashPassword(patch.password),
    }
    await updateUser(this.#db, id, dbPatch, now)
    if (patch.disabled === true || patch.password !== undefined)
      await revokeRefreshFamiliesOfUser(this.#db, id, now)
    return this.getUser(id)
  }

  /** A new key for `userId`; the secret is in the result and nowhere else. */
  async createApiKey(
    userId: string,
    opts: { name: string; expiresInDays?: number },
  ): Promise<{ key: string; info: ApiKeyInfo }> {
    const ttlMs =
      opts.expiresInDays !== undefined
        ? opts.expiresInDays * 86_400_000
        : this.#apiKeyDefaultTtlSecs * 1000
    const expiresAt = new Date(this.#clock.nowMs() + ttlMs)
    const fresh = newApiKey()
    const info = await insertApiKey(this.#db, {
      id: randomUUID(),
      userId,
      name: opts.name,
      prefix: fresh.prefix,
      keyHash: fresh.hash,
      expiresAt,
    })
    return { key: fresh.key, info }
  }

  listApiKeys(userId: string): Promise<ApiKeyInfo[]> {
    return listApiKeysOfUser(this.#db, userId)
  }

  /**
   * Revokes the key with this prefix. `ownerId` limits it to that user's keys (others get 404,
   * which reveals nothing); null lets an admin or the CLI revoke any key.
   */
  async revokeApiKey(prefix: string, ownerId: string | null): Promise<ApiKeyInfo> {
    const key = await findApiKeyByPrefix(this.#db, prefix)
    if (!key || (ownerId !== null && key.userId !== ownerId))
      throw new NotFoundError(`API key '${prefix}' not found`)
    return revokeApiKey(this.#db, key.id, this.#clock.now())
  }

  async recordAudit(e: NewAuditEntry): Promise<void> {
    await insertAuditEntry(this.#db, e)
  }

  listAudit(f: AuditFilter): Promise<{ entries: AuditEntry[]; total: BoundedCount | null }> {
    return listAuditEntries(this.#db, f)
  }
}
