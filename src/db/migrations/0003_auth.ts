/**
 * Authentication: users, API keys, refresh tokens (rotating, grouped in families) and the audit
 * log. Frozen in time: never import app code here. PostgreSQL 15 feature set only.
 */
import { sql, type Kysely } from 'kysely'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE users (
      id uuid PRIMARY KEY,
      email text NOT NULL,
      name text NOT NULL,
      role text NOT NULL CHECK (role IN ('admin','member','viewer')),
      password_hash text,
      disabled_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_login_at timestamptz
    )
  `.execute(db)
  await sql`CREATE UNIQUE INDEX users_email ON users (lower(email))`.execute(db)

  await sql`
    CREATE TABLE api_keys (
      id uuid PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      name text NOT NULL,
      prefix text NOT NULL,
      key_hash text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz,
      last_used_at timestamptz,
      revoked_at timestamptz
    )
  `.execute(db)
  await sql`CREATE UNIQUE INDEX api_keys_prefix ON api_keys (prefix)`.execute(db)
  await sql`CREATE UNIQUE INDEX api_keys_hash ON api_keys (key_hash)`.execute(db)
  await sql`CREATE INDEX api_keys_user ON api_keys (user_id, created_at DESC)`.execute(db)

  await sql`
    CREATE TABLE refresh_tokens (
      id uuid PRIMARY KEY,
      family_id uuid NOT NULL,
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      token_hash text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      used_at timestamptz,
      revoked_at timestamptz
    )
  `.execute(db)
  await sql`CREATE UNIQUE INDEX refresh_tokens_hash ON refresh_tokens (token_hash)`.execute(db)
  await sql`CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id)`.execute(db)
  await sql`CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id)`.execute(db)

  await sql`
    CREATE TABLE audit_log (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      actor_type text NOT NULL CHECK (actor_type IN ('user','worker','system','anonymous')),
      actor text,
      action text NOT NULL,
      target_type text,
      target_id text,
      address text,
      outcome text NOT NULL CHECK (outcome IN ('success','failure')),
      details jsonb
    )
  `.execute(db)
  await sql`CREATE INDEX audit_log_at ON audit_log (at)`.execute(db)
  await sql`CREATE INDEX audit_log_actor ON audit_log (actor, id DESC)`.execute(db)
  await sql`CREATE INDEX audit_log_action ON audit_log (action, id DESC)`.execute(db)
  await sql`CREATE INDEX audit_log_target ON audit_log (target_type, target_id, id DESC)`.execute(
    db,
  )
}
