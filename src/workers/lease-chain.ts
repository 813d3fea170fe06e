/**
 * The lease token rules of the remote worker protocol (API.md §11.4), as pure decisions over the
 * stored lease of one step and the call a worker makes.
 *
 * A token is `wlt_` + a 12-hex binding tag + random characters. The tag is a hash of (worker,
 * step, attempt): every token of a lease carries the tag of its claim, so a token presented with
 * another worker's secret or on another step's path is recognised as foreign (404) even after the
 * step moved on, while one from an earlier lease of this step is merely stale (409 lease_expired).
 * The claim query computes the same tag in SQL (db/queries/claim-ready-steps.ts).
 */
import { createHash } from 'node:crypto'
import type { StepStatus } from '../shared/statuses.ts'

export const LEASE_TOKEN_PREFIX = 'wlt_'
export const LEASE_TAG_LENGTH = 12

/** The binding tag of a lease: hash of worker id, step id and attempt (lowercase hex). */
export function leaseTag(workerId: string, stepId: string, attempt: number): string {
  return createHash('sha256')
    .update(`${workerId}:${stepId}:${attempt}`, 'utf8')
    .digest('hex')
    .slice(0, LEASE_TAG_LENGTH)
}

/** The tag a token carries, or null when it is not a lease token at all. */
export function tagOfToken(token: string): string | null {
  if (!token.startsWith(LEASE_TOKEN_PREFIX)) return null
  const tag = token.slice(LEASE_TOKEN_PREFIX.length, LEASE_TOKEN_PREFIX.length + LEASE_TAG_LENGTH)
  if (!/^[0-9a-f]{12}$/.test(tag) || token.length <= LEASE_TOKEN_PREFIX.length + LEASE_TAG_LENGTH)
    return null
  return tag
}

/** The next token of a chain: the same binding tag, new random characters. */
export function nextLeaseToken(current: string, random: string): string {
  return `${current.slice(0, LEASE_TOKEN_PREFIX.length + LEASE_TAG_LENGTH)}${random}`
}

/** What the database holds about the current lease of one step. */
export interface LeaseState {
  readonly stepId: string
  readonly stepName: string
  readonly status: StepStatus
  readonly attempt: number
  readonly workerId: string | null
  readonly leaseToken: string | null
  readonly prevLeaseToken: string | null
  /** The seq of the last applied call (0 right after the claim). */
  readonly leaseSeq: number
  /** The stored reply of the last applied call, returned on a replay. */
  readonly leaseReply: unknown
  /** False once lease_expires_at has passed (the sweeper is about to end the attempt). */
  readonly live: boolean
  readonly stopReason: string | null
}

export interface LeaseCall {
  readonly workerId: string
  readonly token: string
}

export type LeaseRejection = {
  readonly kind: 'reject'
  readonly code: 'not_found' | 'lease_expired' | 'lease_token_used' | 'conflict'
  readonly message: string
}

export type MutatingDecision =
  | { readonly kind: 'apply'; readonly seq: number }
  | { readonly kind: 'replay'; readonly reply: unknown }
  | LeaseRejection

export type ReadOnlyDecision = { readonly kind: 'read'; readonly current: boolean } | LeaseRejection

/**
 * The attempt of this step the token was issued for to this worker, or null (a foreign token).
 * Each attempt is claimed by one worker, so the current attempt only binds its holder.
 */
export function boundAttempt(state: LeaseState, call: LeaseCall): number | null {
  const tag = tagOfToken(call.token)
  if (tag === null) return null
  for (let a = state.attempt; a >= 1; a--) {
    if (leaseTag(call.workerId, state.stepId, a) !== tag) continue
    const heldByOther =
      a === state.attempt && state.workerId !== null && state.workerId !== call.workerId
    return heldByOther ? null : a
  }
  return null
}

function notFound(state: LeaseState): LeaseRejection {
  return {
    kind: 'reject',
    code: 'not_found',
    message: `no lease of yours on step '${state.stepName}' matches this lease token`,
  }
}

function expired(state: LeaseState, why: string): LeaseRejection {
  return {
    kind: 'reject',
    code: 'lease_expired',
    message: `the lease on step '${state.stepName}' is no longer current (${why}); discard the result`,
  }
}

function whyNotCurrent(state: LeaseState, attempt: number): string {
  if (attempt < state.attempt) return `the step is on attempt ${state.attempt} now`
  if (state.status !== 'running') return `the step is ${state.status}`
  return 'the lease was lost'
}

/**
 * A `start`, `logs` or `complete` call carrying `token` and `seq` (rules 1–4): apply it when the
 * token is current and `seq` is the next one; replay the stored reply when the token and seq are
 * those of the last applied call; otherwise say why not.
 */
export function decideMutatingCall(
  state: LeaseState,
  call: LeaseCall & { readonly seq: number },
): MutatingDecision {
  const attempt = boundAttempt(state, call)
  if (attempt === null) return notFound(state)
  if (state.leaseToken !== null && call.token === state.leaseToken && state.status === 'running') {
    if (!state.live) return expired(state, 'it was not extended in time')
    const expected = state.leaseSeq + 1
    if (call.seq !== expected)
      return {
        kind: 'reject',
        code: 'conflict',
        message: `expected seq ${expected}, got ${call.seq}`,
      }
    return { kind: 'apply', seq: expected }
  }
  if (state.prevLeaseToken !== null && call.token === state.prevLeaseToken) {
    if (call.seq === state.leaseSeq && state.leaseReply !== null && state.leaseReply !== undefined)
      return { kind: 'replay', reply: state.leaseReply }
    return usedToken(state)
  }
  if (attempt === state.attempt && state.status === 'running' && state.leaseToken !== null)
    return usedToken(state)
  return expired(state, whyNotCurrent(state, attempt))
}

function usedToken(state: LeaseState): LeaseRejection {
  return {
    kind: 'reject',
    code: 'lease_token_used',
    message: `this lease token was already used on step '${state.stepName}'; send the current token (only the last call may be replayed)`,
  }
}

/**
 * `cancel-check` (rule 5): read-only; the current token or the one just consumed are accepted
 * while the step still runs under this lease.
 */
export function decideReadOnlyCall(state: LeaseState, call: LeaseCall): ReadOnlyDecision {
  const attempt = boundAttempt(state, call)
  if (attempt === null) return notFound(state)
  const running = state.status === 'running' && state.leaseToken !== null
  if (running && call.token === state.leaseToken) return { kind: 'read', current: true }
  if (running && call.token === state.prevLeaseToken) return { kind: 'read', current: false }
  if (running && attempt === state.attempt) return usedToken(state)
  return expired(state, whyNotCurrent(state, attempt))
}

/** A worker may report `cancelled` only after it was asked to stop (API.md §11.5). */
export function checkCompletionStatus(
  state: LeaseState,
  status: 'completed' | 'failed' | 'cancelled',
): string | null {
  if (status === 'cancelled' && state.stopReason === null)
    return `status 'cancelled' is only allowed after a stop request, and step '${state.stepName}' got none`
  return null
}
