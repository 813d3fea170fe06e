/**
 * Formats of the secrets users present: API keys (`weir_<43 base64url chars>`, stored as a
 * SHA-256 hash plus a 12-character visible prefix), refresh tokens (`wrt_…`, stored as an HMAC
 * keyed with the refresh secret) and the bearer header that carries them.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto'

export const API_KEY_PREFIX = 'weir_'
/** Characters of a key shown in listings and used to revoke it: `weir_` + 7. */
export const API_KEY_VISIBLE_LENGTH = 12
/** The longest lifetime a new API key may be given, in days. */
export const MAX_API_KEY_DAYS = 3650
const API_KEY_RE = /^weir_[A-Za-z0-9_-]{43}$/
const REFRESH_TOKEN_RE = /^wrt_[A-Za-z0-9_-]{43}$/
const JWT_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

export interface NewApiKey {
  /** The secret, shown once. */
  readonly key: string
  readonly prefix: string
  readonly hash: string
}

export function newApiKey(): NewApiKey {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`
  return { key, prefix: apiKeyPrefix(key), hash: apiKeyHash(key) }
}

export function apiKeyPrefix(key: string): string {
  return key.slice(0, API_KEY_VISIBLE_LENGTH)
}

/** A random 256-bit key needs no slow hash: SHA-256 makes a stolen table useless. */
export function apiKeyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex')
}

export function isApiKeyPrefix(s: string): boolean {
  return s.length === API_KEY_VISIBLE_LENGTH && API_KEY_RE.test(`${s}${'A'.repeat(36)}`)
}

export function newRefreshToken(): string {
  return `wrt_${randomBytes(32).toString('base64url')}`
}

export function isRefreshTokenShaped(s: string): boolean {
  return REFRESH_TOKEN_RE.test(s)
}

export function refreshTokenHash(token: string, secret: string): string {
  return createHmac('sha256', secret).update(token).digest('hex')
}

export type CredentialKind = 'access_token' | 'api_key' | 'unknown'

/** What a bearer value looks like; anything else (a worker secret, say) is `unknown`. */
export function classifyCredential(token: string): CredentialKind {
  if (API_KEY_RE.test(token)) return 'api_key'
  if (token.length <= 4096 && JWT_RE.test(token)) return 'access_token'
  return 'unknown'
}

export type BearerResult =
  | { readonly kind: 'none' }
  | { readonly kind: 'malformed'; readonly reason: string }
  | { readonly kind: 'token'; readonly token: string }

/** Reads `Authorization: Bearer <token>` (scheme case-insensitive, as RFC 6750 allows). */
export function parseAuthorization(header: string | undefined): BearerResult {
  if (header === undefined || header === '') return { kind: 'none' }
  const m = /^Bearer +([\x21-\x7e]+) *$/i.exec(header)
  if (!m) return { kind: 'malformed', reason: 'expected "Authorization: Bearer <token>"' }
  return { kind: 'token', token: m[1]! }
}
