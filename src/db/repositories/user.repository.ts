/** users rows: create, look up (email is unique case-insensitively), list, update. */
import { sql, type Kysely } from 'kysely'
import type { Role, User, UserSummary } from '../../shared/accounts.ts'
import { ConflictError, NotFoundError } from '../../shared/errors.ts'
import { isPgError, UNIQUE_VIOLATION } from '../pg-errors.ts'
import { withTransaction } from '../transaction.ts'
import type { DB, UserRow } from '../schema.ts'

export function toUser(r: UserRow): User {
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    role: r.role,
    hasPassword: r.password_hash !== null,
    disabledAt: r.disabled_at,
    createdAt: r.created_at,
    lastLoginAt: r.last_login_at,
  }
}

export interface NewUser {
  readonly id: string
  readonly email: string
  readonly name: string
  readonly role: Role
  readonly passwordHash: string | null
}

export async function insertUser(db: Kysely<DB>, u: NewUser): Promise<User> {
  try {
    const row = await db
      .insertInto('users')
      .values({
        id: u.id,
        email: u.email,
        name: u.name,
        role: u.role,
        password_hash: u.passwordHash,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
    return toUser(row)
  } catch (e) {
    if (isPgError(e, UNIQUE_VIOLATION))
      throw new ConflictError(`a user with email '${u.email}' already exists`)
    throw e
  }
}

/**
 * Inserts `u` only when the table is empty (the configured initial user). Returns its id when
 * it did, else null.
 * Replicas starting together may race: the unique email index keeps one row.
 */
export async function insertUserIfNoneExist(db: Kysely<DB>, u: NewUser): Promise<string | null> {
  const res = await sql<{ id: string }>`
    INSERT INTO users (id, email, name, role, password_hash)
    SELECT ${u.id}::uuid, ${u.email}, ${u.name}, ${u.role}, ${u.passwordHash}
    WHERE NOT EXISTS (SELECT 1 FROM users)
    ON CONFLICT DO NOTHING
    RETURNING id`.execute(db)
  return res.rows[0]?.id ?? null
}

export async function findUserById(db: Kysely<DB>, id: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
  return row ? toUser(row) : undefined
}

export async function findUserByEmail(db: Kysely<DB>, email: string): Promise<User | undefined> {
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where(sql<string>`lower(email)`, '=', email.toLowerCase())
    .executeTakeFirst()
  return row ? toUser(row) : undefined
}

/** The user and the stored password hash, for a login attempt. */
export async function findUserCredentials(
  db: Kysely<DB>,
  email: string,
): Promise<{ user: User; passwordHash: string | null } | undefined> {
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where(sql<string>`lower(email)`, '=', email.toLowerCase())
    .executeTakeFirst()
  return row ? { user: toUser(row), passwordHash: row.password_hash } : undefined
}

/** Records a successful authentication (login, or first use of a credential in a minute). */
export async function touchUserLastLogin(db: Kysely<DB>, id: string, now: Date): Promise<void> {
  await db
    .updateTable('users')
    .set({ last_login_at: now })
    .where('id', '=', id)
    .where((eb) =>
      eb.or([
        eb('last_login_at', 'is', null),
        eb('last_login_at', '<', new Date(now.getTime() - 60_000)),
      ]),
    )
    .execute()
}

function summaryQuery(db: Kysely<DB>, now: Date) {
  return db
    .selectFrom('users')
    .selectAll('users')
    .select((eb) =>
      eb
        .exists(
          eb
            .selectFrom('api_keys')
            .select('api_keys.id')
            .whereRef('api_keys.user_id', '=', 'users.id')
            .where('api_keys.revoked_at', 'is', null)
            .where((k) =>
              k.or([k('api_keys.expires_at', 'is', null), k('api_keys.expires_at', '>', now)]),
            ),
        )
        .as('has_api_key'),
    )
}

function toSummary(r: UserRow & { has_api_key: unknown }): UserSummary {
  return { ...toUser(r), hasActiveApiKey: Boolean(r.has_api_key) }
}

export async function findUserSummary(
  db: Kysely<DB>,
  id: string,
  now: Date,
): Promise<UserSummary | undefined> {
  const row = await summaryQuery(db, now).where('users.id', '=', id).executeTakeFirst()
  return row ? toSummary(row) : undefined
}

/** Users sorted by email (case-insensitive), with keyset paging on the lowercased email. */
export async function listUsers(
  db: Kysely<DB>,
  f: { limit: number; offset: number; afterEmail?: string; count: boolean; now: Date },
): Promise<{ users: UserSummary[]; total: number | null }> {
  let page = summaryQuery(db, f.now)
    .orderBy(sql`lower(users.email)`)
    .limit(f.limit)
  if (f.afterEmail !== undefined)
    page = page.where(sql<string>`lower(users.email)`, '>', f.afterEmail.toLowerCase())
  else if (f.offset > 0) page = page.offset(f.offset)
  const [rows, total] = await Promise.all([
    page.execute(),
    f.count
      ? db
          .selectFrom('users')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirst()
      : undefined,
  ])
  return { users: rows.map(toSummary), total: total ? Number(total.n) : null }
}

export interface UserPatch {
  readonly name?: string
  readonly role?: Role
  /** A new hash, or null to remove password sign-in. */
  readonly passwordHash?: string | null
  readonly disabled?: boolean
}

/**
 * Applies `patch` to a user. Refuses (409) to leave no enabled admin: the enabled admins are
 * locked first, so two concurrent demotions cannot both pass the check.
 */
export async function updateUser(
  db: Kysely<DB>,
  id: string,
  patch: UserPatch,
  now: Date,
): Promise<User> {
  return withTransaction(db, async (trx) => {
    const admins = await trx
      .selectFrom('users')
      .select('id')
      .where('role', '=', 'admin')
      .where('disabled_at', 'is', null)
      .orderBy('id')
      .forUpdate()
      .execute()
    const current = await trx
      .selectFrom('users')
      .selectAll()
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst()
    if (!current) throw new NotFoundError(`user '${id}' not found`)
    const staysAdmin =
      (patch.role ?? current.role) === 'admin' &&
      (patch.disabled ?? current.disabled_at !== null) === false
    if (!staysAdmin && admins.length === 1 && admins[0]!.id === id)
      throw new ConflictError(
        `user '${current.email}' is the last enabled admin; make another user admin first`,
      )
    const changes = Object.values(patch).some((v) => v !== undefined)
    if (!changes) return toUser(current)
    const row = await trx
      .updateTable('users')
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.role !== undefined ? { role: patch.role } : {}),
        ...(patch.passwordHash !== undefined ? { password_hash: patch.passwordHash } : {}),
        ...(patch.disabled !== undefined
          ? { disabled_at: patch.disabled ? (current.disabled_at ?? now) : null }
          : {}),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow()
    return toUser(row)
  })
}
