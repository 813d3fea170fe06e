/**
 * Access tokens: JWTs signed HS256 with `auth.jwt_secret` (jose). Claims: sub (user id), email,
 * role, jti, sid (the refresh family, so logout and reuse detection end them too), iat, exp.
 * The role in the token is informative: each request reads the user's current role and state.
 */
import { randomUUID } from 'node:crypto'
// jose is loaded on first use: a server without `auth` never holds it.
const jose = () => import('jose')
import { isRole, type Role } from '../shared/accounts.ts'

const ISSUER = 'weir'
const AUDIENCE = 'weir-api'

export interface AccessTokenClaims {
  readonly userId: string
  readonly email: string
  readonly role: Role
  readonly sessionId: string
  readonly tokenId: string
  readonly expiresAt: Date
}

function keyOf(secret: string): Uint8Array {
  return new TextEncoder().encode(secret)
}

export async function signAccessToken(opts: {
  secret: string
  user: { id: string; email: string; role: Role }
  sessionId: string
  ttlSecs: number
  now: Date
}): Promise<string> {
  const iat = Math.floor(opts.now.getTime() / 1000)
  const { SignJWT } = await jose()
  return new SignJWT({ email: opts.user.email, role: opts.user.role, sid: opts.sessionId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(opts.user.id)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setJti(randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + opts.ttlSecs)
    .sign(keyOf(opts.secret))
}

export type AccessTokenCheck =
  | { readonly ok: true; readonly claims: AccessTokenClaims }
  | { readonly ok: false; readonly reason: 'expired' | 'invalid' }

/** Checks signature, algorithm, issuer, audience and expiry (at `now`, no clock leeway). */
export async function verifyAccessToken(opts: {
  secret: string
  token: string
  now: Date
}): Promise<AccessTokenCheck> {
  try {
    const { jwtVerify } = await jose()
    const { payload } = await jwtVerify(opts.token, keyOf(opts.secret), {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
      currentDate: opts.now,
      requiredClaims: ['sub', 'jti', 'exp', 'iat'],
    })
    const { sub, email, role, sid, jti, exp } = payload
    if (
      typeof sub !== 'string' ||
      typeof email !== 'string' ||
      typeof role !== 'string' ||
      !isRole(role) ||
      typeof sid !== 'string' ||
      typeof jti !== 'string' ||
      typeof exp !== 'number'
    ) {
      return { ok: false, reason: 'invalid' }
    }
    return {
      ok: true,
      claims: {
        userId: sub,
        email,
        role,
        sessionId: sid,
        tokenId: jti,
        expiresAt: new Date(exp * 1000),
      },
    }
  } catch (e) {
    if (e instanceof (await jose()).errors.JWTExpired) return { ok: false, reason: 'expired' }
    return { ok: false, reason: 'invalid' }
  }
}
