/** enrollment_tokens rows: operator-issued tokens for POST /worker/register (hashes only). */
import { sql, type Kysely } from 'kysely'
import type { DB } from '../schema.ts'

export async function insertEnrollmentToken(
  db: Kysely<DB>,
  t: {
    id: string
    name: string
    tokenHash: string
    usesLeft: number | null
    expiresAt: Date | null
  },
): Promise<void> {
  await db
    .insertInto('enrollment_tokens')
    .values({
      id: t.id,
      name: t.name,
      token_hash: t.tokenHash,
      uses_left: t.usesLeft,
      expires_at: t.expiresAt,
    })
    .execute()
}

/**
 * Uses a token once: true when it exists, is not revoked or expired and has uses left (one is
 * taken, atomically, so concurrent registrations cannot overspend it). Index: unique token_hash.
 */
export async function consumeEnrollmentToken(db: Kysely<DB>, tokenHash: string): Promise<boolean> {
  const res = await db
    .updateTable('enrollment_tokens')
    .set({
      uses_left: sql<number | null>`CASE WHEN uses_left IS NULL THEN NULL ELSE uses_left - 1 END`,
    })
    .where('token_hash', '=', tokenHash)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
    .where((eb) => eb.or([eb('uses_left', 'is', null), eb('uses_left', '>', 0)]))
    .executeTakeFirst()
  return Number(res.numUpdatedRows) === 1
}

export interface EnrollmentTokenInfo {
  readonly id: string
  readonly name: string
  readonly usesLeft: number | null
  readonly expiresAt: Date | null
  readonly revokedAt: Date | null
  readonly createdAt: Date
}

/** Every issued token (hashes stay in the database), newest first. */
export async function listEnrollmentTokens(db: Kysely<DB>): Promise<EnrollmentTokenInfo[]> {
  const rows = await db
    .selectFrom('enrollment_tokens')
    .select(['id', 'name', 'uses_left', 'expires_at', 'revoked_at', 'created_at'])
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute()
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    usesLeft: r.uses_left,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    createdAt: r.created_at,
  }))
}

/** Revokes every unrevoked token with this name; returns how many. */
export async function revokeEnrollmentTokens(db: Kysely<DB>, name: string): Promise<number> {
  const res = await db
    .updateTable('enrollment_tokens')
    .set({ revoked_at: sql<Date>`now()` })
    .where('name', '=', name)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return Number(res.numUpdatedRows)
}
