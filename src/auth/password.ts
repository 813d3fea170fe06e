/**
 * Password hashing with Node's built-in scrypt (memory-hard, no native dependency). The stored
 * form carries its parameters, so they can be raised later without breaking old hashes:
 * `scrypt$ln=15,r=8,p=1$<salt base64url>$<hash base64url>` (N = 2^ln).
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  readonly ln: number
  readonly r: number
  readonly p: number
}

/** N = 2^15, r = 8: 32 MiB and a few tens of milliseconds per hash on a small server. */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { ln: 15, r: 8, p: 1 }

const KEY_LENGTH = 32
const SALT_LENGTH = 16
/** Bounds for stored parameters, so a corrupted row cannot make a login take minutes. */
const LIMITS = { ln: [10, 20], r: [1, 32], p: [1, 16] } as const
const FORMAT = /^scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/

/** Passwords longer than this are refused before hashing (bounds the work per request). */
export const MAX_PASSWORD_LENGTH = 1024

function derive(password: string, salt: Buffer, params: ScryptParams, len: number) {
  const opts: ScryptOptions = {
    N: 2 ** params.ln,
    r: params.r,
    p: params.p,
    maxmem: 128 * 2 ** params.ln * params.r * 2 + 1024 * 1024,
  }
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, len, opts, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  )
}

export async function hashPassword(
  password: string,
  params: ScryptParams = DEFAULT_SCRYPT_PARAMS,
): Promise<string> {
  const salt = randomBytes(SALT_LENGTH)
  const key = await derive(password, salt, params, KEY_LENGTH)
  return `scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`
}

export function parsePasswordHash(
  stored: string,
): { params: ScryptParams; salt: Buffer; key: Buffer } | undefined {
  const m = FORMAT.exec(stored)
  if (!m) return undefined
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) }
  for (const k of ['ln', 'r', 'p'] as const) {
    const [lo, hi] = LIMITS[k]
    if (params[k] < lo || params[k] > hi) return undefined
  }
  const salt = Buffer.from(m[4]!, 'base64url')
  const key = Buffer.from(m[5]!, 'base64url')
  if (salt.length < 8 || key.length < 16) return undefined
  return { params, salt, key }
}

/** True when `password` matches `stored`; compares in constant time. A malformed hash is false. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parsePasswordHash(stored)
  if (!parsed || password.length > MAX_PASSWORD_LENGTH) return false
  const key = await derive(password, parsed.salt, parsed.params, parsed.key.length)
  return timingSafeEqual(key, parsed.key)
}

/** A hash of a throwaway password with the default parameters (no account uses it). */
const DUMMY_HASH =
  'scrypt$ln=15,r=8,p=1$AHbzDT-LPs3zJw_SQ9sPAw$kZKm5X3QS_YpOI1acekRszwG1mM4SlwfyzxwhC8dZJg'

/**
 * Spends the time of one verification on nothing: used when the email is unknown or has no
 * password, so response times do not reveal which accounts exist.
 */
export async function verifyNothing(password: string): Promise<false> {
  await verifyPassword(password.slice(0, MAX_PASSWORD_LENGTH), DUMMY_HASH)
  return false
}
