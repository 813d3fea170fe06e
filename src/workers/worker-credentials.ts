/**
 * Worker credentials (API.md §11.1): secrets are stored only as hashes, and the configured
 * enrollment token is compared in constant time. sha256 suffices: every secret here is a long
 * random string, so there is nothing for a slow hash to protect against.
 */
import { createHash, timingSafeEqual } from 'node:crypto'

export const WORKER_SECRET_PREFIX = 'wks_'

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex')
}

/** Constant-time equality of two secrets of any length (both sides are hashed first). */
export function secretsEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest()
  const b = createHash('sha256').update(expected, 'utf8').digest()
  return timingSafeEqual(a, b)
}

/** The token of an `Authorization: Bearer <token>` header, or null when absent or malformed. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)
  return m ? m[1]! : null
}
