/** Branded identifiers and their makers: the only place new ids are minted. */
import { randomBytes } from 'node:crypto'
import { v4 as uuidv4, v7 as uuidv7, validate as uuidValidate } from 'uuid'

export type JobId = string & { readonly __brand: 'JobId' }
export type StepRunId = string & { readonly __brand: 'StepRunId' }
export type WorkerId = string & { readonly __brand: 'WorkerId' }
export type LeaseToken = string & { readonly __brand: 'LeaseToken' }

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export function newJobId(): JobId {
  return uuidv7() as JobId
}
export function newStepRunId(): StepRunId {
  return uuidv7() as StepRunId
}
export function newWorkerId(): WorkerId {
  return uuidv4() as WorkerId
}
/** A uuid v7 for rows without an id type of their own (e.g. enrollment tokens). */
export function newRowId(): string {
  return uuidv7()
}
export function newLeaseToken(): LeaseToken {
  return `wlt_${randomBytes(18).toString('base64url')}` as LeaseToken
}
/** A random url-safe secret with a recognisable prefix (worker secrets, enrollment tokens, API keys). */
export function newSecret(prefix: string, bytes = 24): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`
}

/** Lowercase 8-4-4-4-12 UUID check, as API.md §1.3 requires for path ids. */
export function isUuid(s: string): boolean {
  return UUID_RE.test(s) && uuidValidate(s)
}
export function asJobId(s: string): JobId {
  return s as JobId
}
export function asWorkerId(s: string): WorkerId {
  return s as WorkerId
}
