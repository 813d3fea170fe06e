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
