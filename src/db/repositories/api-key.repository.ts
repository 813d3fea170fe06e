/** api_keys rows: stored as a SHA-256 hash plus a visible prefix; looked up by hash. */
import type { Kysely } from 'kysely'
import type { ApiKeyInfo, User } from '../../shared/accounts.ts'
import { ConflictError } from '../../shared/errors.ts'
import { isPgError, UNIQUE_VIOLATION } from '../pg-errors.ts'
import type { ApiKeyRow, DB } from '../schema.ts'
import { toUser } from './user.repository.ts'

export function toApiKeyInfo(r: ApiKeyRow): ApiKeyInfo {
  return {
    id: r.id,
    userId: r.user_id,
    name: r.name,
    prefix: r.prefix,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  }
}

export async function insertApiKey(
  db: Kysely<DB>,
  k: {
    id: string
    userId: string
    name: string
    prefix: string
    keyHash: string
    expiresAt: Date | null
  },
): Promise<ApiKeyInfo> {
  try {
    const row = await db
      .insertInto('api_keys')
      .values({
        id: k.id,
        user_id: k.userId,
        name: k.name,
        prefix: k.prefix,
        key_hash: k.keyHash,
        expires_at: k.expiresAt,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
    return toApiKeyInfo(row)
  } catch (e) {
    if (isPgError(e, UNIQUE_VIOLATION))
      throw new ConflictError(`an API key with prefix '${k.prefix}' already exists`)
    throw e
  }
}

/** The key with this hash and its owner, whatever their state (the caller decides). */
export async function findApiKeyByHash(
  db: Kysely<DB>,
  keyHash: string,
): Promise<{ key: ApiKeyInfo; user: User } | undefined> {
  const row = await db
    .selectFrom('api_keys')
    .innerJoin('users', 'users.id', 'api_keys.user_id')
    .selectAll('users')
    .select([
      'api_keys.id as key_id',
      'api_keys.name as key_name',
      'api_keys.prefix',
      'api_keys.key_hash',
      'api_keys.created_at as key_created_at',
      'api_keys.expires_at',
      'api_keys.last_used_at',
      'api_keys.revoked_at',
    ])
    .where('api_keys.key_hash', '=', keyHash)
    .executeTakeFirst()
  if (!row) return undefined
  return {
    user: toUser(row),
    key: toApiKeyInfo({
      id: row.key_id,
      user_id: row.id,
      name: row.key_name,
      prefix: row.prefix,
      key_hash: row.key_hash,
      created_at: row.key_created_at,
      expires_at: row.expires_at,
      last_used_at: row.last_used_at,
      revoked_at: row.revoked_at,
    }),
  }
}

export async function findApiKeyByPrefix(
  db: Kysely<DB>,
  prefix: string,
): Promise<ApiKeyInfo | undefined> {
  const row = await db
    .selectFrom('api_keys')
    .selectAll()
    .where('prefix', '=', prefix)
    .executeTakeFirst()
  return row ? toApiKeyInfo(row) : undefined
}

/** A user's keys, newest first (revoked and expired ones included). */
export async function listApiKeysOfUser(db: Kysely<DB>, userId: string): Promise<ApiKeyInfo[]> {
  const rows = await db
    .selectFrom('api_keys')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute()
  return rows.map(toApiKeyInfo)
}

/** Revokes a key (idempotent: the first revocation time is kept). */
export async function revokeApiKey(db: Kysely<DB>, id: string, now: Date): Promise<ApiKeyInfo> {
  await db
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .execute()
  const row = await db
    .selectFrom('api_keys')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow()
  return toApiKeyInfo(row)
}

/** Marks a key used; at most one write per key per minute, so requests rarely write. */
export async function touchApiKeyUsed(db: Kysely<DB>, id: string, now: Date): Promise<void> {
  await db
    .updateTable('api_keys')
    .set({ last_used_at: now })
    .where('id', '=', id)
    .where((eb) =>
      eb.or([
        eb('last_used_at', 'is', null),
        eb('last_used_at', '<', new Date(now.getTime() - 60_000)),
      ]),
    )
    .execute()
}
