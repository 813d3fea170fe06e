/** Named SQLSTATE codes and a driver-neutral check (pg and PGlite both set `.code`). */

export const UNIQUE_VIOLATION = '23505'
export const FOREIGN_KEY_VIOLATION = '23503'
export const SERIALIZATION_FAILURE = '40001'
export const DEADLOCK_DETECTED = '40P01'
export const LOCK_NOT_AVAILABLE = '55P03'
export const INVALID_TEXT_REPRESENTATION = '22P02'

export const RETRYABLE: ReadonlySet<string> = new Set([SERIALIZATION_FAILURE, DEADLOCK_DETECTED])

export function pgErrorCode(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string')
    return e.code
  return undefined
}

export function isPgError(e: unknown, code: string): boolean {
  return pgErrorCode(e) === code
}
