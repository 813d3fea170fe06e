/**
 * refresh_tokens rows. A login starts a family; each refresh marks the presented token used and
 * adds its successor to the family. A used token presented again means it leaked: the whole
 * family is revoked, and so are the access tokens that carry its id.
 */
import type { Kysely, Transaction } from 'kysely'
import type { User } from '../../shared/accounts.ts'
import type { DB, RefreshTokenRow } from '../schema.ts'
import { toUser } from './user.repository.ts'

export interface RefreshToken {
  readonly id: string
  readonly familyId: string
  readonly userId: string
  readonly expiresAt: Date
  readonly usedAt: Date | null
  readonly revokedAt: Date | null
}

function toRefreshToken(r: RefreshTokenRow): RefreshToken {
  return {
    id: r.id,
    familyId: r.family_id,
    userId: r.user_id,
    expiresAt: r.expires_at,
    usedAt: r.used_at,
    revokedAt: r.revoked_at,
  }
}

export async function insertRefreshToken(
  db: Kysely<DB>,
  t: { id: string; familyId: string; userId: string; tokenHash: string; expiresAt: Date },
): Promise<void> {
  await db
    .insertInto('refresh_tokens')
    .values({
      id: t.id,
      family_id: t.familyId,
      user_id: t.userId,
      token_hash: t.tokenHash,
      expires_at: t.expiresAt,
    })
    .execute()
}

export async function findRefreshTokenByHash(
  db: Kysely<DB>,
  tokenHash: string,
): Promise<RefreshToken | undefined> {
  const row = await db
    .selectFrom('refresh_tokens')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst()
  return row ? toRefreshToken(row) : undefined
}

/** Locks the token with this hash for a rotation; concurrent refreshes of it serialise here. */
export async function lockRefreshTokenByHash(
  trx: Transaction<DB>,
  tokenHash: string,
): Promise<RefreshToken | undefined> {
  const row = await trx
    .selectFrom('refresh_tokens')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .forUpdate()
    .executeTakeFirst()
  return row ? toRefreshToken(row) : undefined
}

export async function markRefreshTokenUsed(
  trx: Transaction<DB>,
  id: string,
  now: Date,
): Promise<void> {
  await trx.updateTable('refresh_tokens').set({ used_at: now }).where('id', '=', id).execute()
}

export async function revokeRefreshFamily(
  db: Kysely<DB>,
  familyId: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: now })
    .where('family_id', '=', familyId)
    .where('revoked_at', 'is', null)
    .execute()
}

export async function revokeRefreshFamiliesOfUser(
  db: Kysely<DB>,
  userId: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: now })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .execute()
}

/**
 * The user behind an access token and whether its session (refresh family) was revoked, in
 * one round trip: every authenticated request makes this lookup.
 */
export async function findSessionUser(
  db: Kysely<DB>,
  userId: string,
  familyId: string,
): Promise<{ user: User; sessionRevoked: boolean } | undefined> {
  const row = await db
    .selectFrom('users')
    .selectAll('users')
    .select((eb) =>
      eb
        .exists(
          eb
            .selectFrom('refresh_tokens')
            .select('refresh_tokens.id')
            .where('refresh_tokens.family_id', '=', familyId)
            .where('refresh_tokens.revoked_at', 'is not', null),
        )
        .as('revoked'),
    )
    .where('users.id', '=', userId)
    .executeTakeFirst()
  return row ? { user: toUser(row), sessionRevoked: Boolean(row.revoked) } : undefined
}
