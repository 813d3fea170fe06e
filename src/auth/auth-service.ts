/**
 * Authentication over the repositories: who a bearer credential belongs to, login with rotating
 * refresh tokens, logout. Login failures are rate-limited per client address and audited.
 */
import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Config } from '../config/config-schema.ts'
import { findApiKeyByHash, touchApiKeyUsed } from '../db/repositories/api-key.repository.ts'
import { insertAuditEntry } from '../db/repositories/audit.repository.ts'
import {
  findRefreshTokenByHash,
  findSessionUser,
  insertRefreshToken,
  lockRefreshTokenByHash,
  markRefreshTokenUsed,
  revokeRefreshFamily,
} from '../db/repositories/refresh-token.repository.ts'
import {
  findUserById,
  findUserCredentials,
  touchUserLastLogin,
} from '../db/repositories/user.repository.ts'
import type { DB } from '../db/schema.ts'
import { withTransaction } from '../db/transaction.ts'
import type { NewAuditEntry, Principal, User } from '../shared/accounts.ts'
import type { Clock } from '../shared/clock.ts'
import { TooManyRequestsError, UnauthorizedError } from '../shared/errors.ts'
import { signAccessToken, verifyAccessToken } from './access-token.ts'
import {
  apiKeyHash,
  classifyCredential,
  isRefreshTokenShaped,
  newRefreshToken,
  refreshTokenHash,
} from './credentials.ts'
import { createLoginRateLimiter, type LoginRateLimiter } from './login-rate-limiter.ts'
import { verifyNothing, verifyPassword } from './password.ts'

export interface AuthSettings {
  readonly jwtSecret: string
  readonly refreshSecret: string
  readonly accessTokenTtlSecs: number
  readonly refreshTokenTtlSecs: number
  readonly apiKeyDefaultTtlSecs: number
  readonly loginMaxFailures: number
  readonly loginWindowSecs: number
}

export function authSettingsOf(auth: NonNullable<Config['auth']>): AuthSettings {
  return {
    jwtSecret: auth.jwt_secret,
    refreshSecret: auth.refresh_secret ?? auth.jwt_secret,
    accessTokenTtlSecs: auth.access_token_ttl,
    refreshTokenTtlSecs: auth.refresh_token_ttl,
    apiKeyDefaultTtlSecs: auth.api_key_default_ttl,
    loginMaxFailures: auth.login_rate_limit.max_failures,
    loginWindowSecs: auth.login_rate_limit.window_secs,
  }
}

/** Login and refresh answer with this (API.md §12.2). */
export interface TokenGrant {
  readonly access_token: string
  readonly refresh_token: string
  readonly token_type: 'Bearer'
  readonly expires_in: number
}

const TOUCH_EVERY_MS = 60_000

function stale(at: Date | null, now: Date): boolean {
  return at === null || now.getTime() - at.getTime() >= TOUCH_EVERY_MS
}

export class AuthService {
  readonly #db: Kysely<DB>
  readonly #settings: AuthSettings
  readonly #clock: Clock
  readonly #limiter: LoginRateLimiter

  constructor(d: { db: Kysely<DB>; settings: AuthSettings; clock: Clock }) {
    this.#db = d.db
    this.#settings = d.settings
    this.#clock = d.clock
    this.#limiter = createLoginRateLimiter({
      maxFailures: d.settings.loginMaxFailures,
      windowMs: d.settings.loginWindowSecs * 1000,
      now: () => d.clock.nowMs(),
    })
  }

  /** How long a refresh token lives: the browser's refresh cookie expires with it. */
  get refreshTokenTtlSecs(): number {
    return this.#settings.refreshTokenTtlSecs
  }

  /** The user behind a bearer credential, or 401. Worker secrets are never looked up here. */
  async authenticate(credential: string): Promise<Principal> {
    const now = this.#clock.now()
    switch (classifyCredential(credential)) {
      case 'access_token':
        return this.#fromAccessToken(credential, now)
      case 'api_key':
        return this.#fromApiKey(credential, now)
      case 'unknown':
        throw new UnauthorizedError(
          'unrecognised credential: send an access token from /api/auth/login or a weir_ API key',
        )
    }
  }

  async #fromAccessToken(token: string, now: Date): Promise<Principal> {
    const check = await verifyAccessToken({ secret: this.#settings.jwtSecret, token, now })
    if (!check.ok) {
      throw new UnauthorizedError(
        check.reason === 'expired'
          ? 'access token expired: get a new one from /api/auth/refresh'
          : 'invalid access token',
      )
    }
    const { userId, sessionId } = check.claims
    const found = await findSessionUser(this.#db, userId, sessionId)
    if (!found) throw new UnauthorizedError('invalid access token: its user no longer exists')
    if (found.user.disabledAt !== null) throw new UnauthorizedError('user is disabled')
    if (found.sessionRevoked)
      throw new UnauthorizedError('session ended (logged out or revoked): log in again')
    return principalOf(found.user, 'access_token', sessionId)
  }

  async #fromApiKey(key: string, now: Date): Promise<Principal> {
    const found = await findApiKeyByHash(this.#db, apiKeyHash(key))
    if (!found) throw new UnauthorizedError('unknown API key')
    if (found.key.revokedAt !== null) throw new UnauthorizedError('API key was revoked')
    if (found.key.expiresAt !== null && found.key.expiresAt.getTime() <= now.getTime())
      throw new UnauthorizedError('API key expired')
    if (found.user.disabledAt !== null) throw new UnauthorizedError('user is disabled')
    if (stale(found.key.lastUsedAt, now)) {
      await touchApiKeyUsed(this.#db, found.key.id, now)
      await touchUserLastLogin(this.#db, found.user.id, now)
    }
    return principalOf(found.user, 'api_key', null)
  }

  async login(req: { email: string; password: string; address: string }): Promise<TokenGrant> {
    const gate = this.#limiter.check(req.address)
    if (!gate.allowed) {
      throw new TooManyRequestsError(
        `too many failed logins from this address; retry in ${gate.retryAfterSecs}s`,
        gate.retryAfterSecs,
      )
    }
    const found = await findUserCredentials(this.#db, req.email)
    const ok =
      found && found.passwordHash !== null
        ? await verifyPassword(req.password, found.passwordHash)
        : await verifyNothing(req.password)
    if (!found || !ok || found.user.disabledAt !== null) {
      this.#limiter.fail(req.address)
      const reason = !found ? 'unknown_email' : !ok ? 'wrong_password' : 'user_disabled'
      await this.#audit({
        actorType: 'anonymous',
        actor: req.email.slice(0, 320),
        action: 'auth.login',
        targetType: 'user',
        targetId: found?.user.id ?? null,
        address: req.address,
        outcome: 'failure',
        details: { reason },
      })
      throw new UnauthorizedError(
        reason === 'user_disabled' ? 'user is disabled' : 'invalid email or password',
      )
    }
    const now = this.#clock.now()
    await touchUserLastLogin(this.#db, found.user.id, now)
    const grant = await this.#issue(found.user, randomUUID(), now)
    await this.#audit({
      actorType: 'user',
      actor: found.user.email,
      action: 'auth.login',
      targetType: 'user',
      targetId: found.user.id,
      address: req.address,
      outcome: 'success',
      details: null,
    })
    return grant
  }

  /**
   * Rotates a refresh token. A token already rotated is a stolen copy or a replay: its whole
   * family (and the access tokens carrying it) is revoked, and the caller gets 401.
   */
  async refresh(req: { refreshToken: string; address: string }): Promise<TokenGrant> {
    if (!isRefreshTokenShaped(req.refreshToken))
      throw new UnauthorizedError('unknown refresh token')
    const hash = refreshTokenHash(req.refreshToken, this.#settings.refreshSecret)
    const now = this.#clock.now()
    const outcome = await withTransaction(this.#db, async (trx) => {
      const token = await lockRefreshTokenByHash(trx, hash)
      if (!token) return { kind: 'unknown' } as const
      if (token.revokedAt !== null) return { kind: 'revoked' } as const
      if (token.usedAt !== null) {
        await revokeRefreshFamily(trx, token.familyId, now)
        return { kind: 'reused', token } as const
      }
      if (token.expiresAt.getTime() <= now.getTime()) return { kind: 'expired' } as const
      const user = await findUserById(trx, token.userId)
      if (!user || user.disabledAt !== null) return { kind: 'disabled' } as const
      await markRefreshTokenUsed(trx, token.id, now)
      return { kind: 'ok', token, user } as const
    })
    switch (outcome.kind) {
      case 'unknown':
        throw new UnauthorizedError('unknown refresh token')
      case 'revoked':
        throw new UnauthorizedError('refresh token was revoked: log in again')
      case 'expired':
        throw new UnauthorizedError('refresh token expired: log in again')
      case 'disabled':
        throw new UnauthorizedError('user is disabled')
      case 'reused': {
        const user = await findUserById(this.#db, outcome.token.userId)
        await this.#audit({
          actorType: 'user',
          actor: user?.email ?? null,
          action: 'auth.refresh_reused',
          targetType: 'user',
          targetId: outcome.token.userId,
          address: req.address,
          outcome: 'failure',
          details: { session: outcome.token.familyId },
        })
        throw new UnauthorizedError(
          'refresh token was already used: the session is revoked, log in again',
        )
      }
      case 'ok':
        return this.#issue(outcome.user, outcome.token.familyId, now)
    }
  }

  /** Ends a session: the family of `refreshToken` if given (it must be the caller's), else the caller's own. */
  async logout(principal: Principal, refreshToken: string | undefined): Promise<string | null> {
    const now = this.#clock.now()
    let familyId = principal.sessionId
    if (refreshToken !== undefined) {
      if (!isRefreshTokenShaped(refreshToken)) throw new UnauthorizedError('unknown refresh token')
      const hash = refreshTokenHash(refreshToken, this.#settings.refreshSecret)
      const token = await findRefreshTokenByHash(this.#db, hash)
      if (!token || token.userId !== principal.userId)
        throw new UnauthorizedError('unknown refresh token')
      familyId = token.familyId
    }
    if (familyId !== null) await revokeRefreshFamily(this.#db, familyId, now)
    return familyId
  }

  async #issue(user: User, familyId: string, now: Date): Promise<TokenGrant> {
    const refreshToken = newRefreshToken()
    await insertRefreshToken(this.#db, {
      id: randomUUID(),
      familyId,
      userId: user.id,
      tokenHash: refreshTokenHash(refreshToken, this.#settings.refreshSecret),
      expiresAt: new Date(now.getTime() + this.#settings.refreshTokenTtlSecs * 1000),
    })
    const accessToken = await signAccessToken({
      secret: this.#settings.jwtSecret,
      user,
      sessionId: familyId,
      ttlSecs: this.#settings.accessTokenTtlSecs,
      now,
    })
    return {
      access_token: accessToken,
      refresh_token: refreshToken,
      token_type: 'Bearer',
      expires_in: this.#settings.accessTokenTtlSecs,
    }
  }

  async #audit(e: NewAuditEntry): Promise<void> {
    await insertAuditEntry(this.#db, e)
  }
}

export function principalOf(
  user: User,
  via: Principal['via'],
  sessionId: string | null,
): Principal {
  return { userId: user.id, email: user.email, name: user.name, role: user.role, via, sessionId }
}
