/** Users, roles, API keys and audit entries: the shapes shared by db/, auth/ and api/. */

export const ROLES = ['admin', 'member', 'viewer'] as const
export type Role = (typeof ROLES)[number]

export function isRole(s: string): s is Role {
  return (ROLES as ReadonlyArray<string>).includes(s)
}

export interface User {
  readonly id: string
  readonly email: string
  readonly name: string
  readonly role: Role
  readonly hasPassword: boolean
  readonly disabledAt: Date | null
  readonly createdAt: Date
  readonly lastLoginAt: Date | null
}

/** A user with what the list and detail routes show about their credentials. */
export interface UserSummary extends User {
  /** The user holds at least one API key that is neither revoked nor expired. */
  readonly hasActiveApiKey: boolean
}

export interface ApiKeyInfo {
  readonly id: string
  readonly userId: string
  readonly name: string
  readonly prefix: string
  readonly createdAt: Date
  readonly expiresAt: Date | null
  readonly lastUsedAt: Date | null
  readonly revokedAt: Date | null
}

export const ACTOR_TYPES = ['user', 'worker', 'system', 'anonymous'] as const
export type ActorType = (typeof ACTOR_TYPES)[number]

export const AUDIT_OUTCOMES = ['success', 'failure'] as const
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number]

export interface NewAuditEntry {
  readonly actorType: ActorType
  /** Email of a user, name of a worker, `cli` for the operator CLI; null when anonymous. */
  readonly actor: string | null
  /** `noun.verb` in the past tense: `job.executed`, `auth.login`, `api_key.created`, … */
  readonly action: string
  readonly targetType: string | null
  readonly targetId: string | null
  readonly address: string | null
  readonly outcome: AuditOutcome
  readonly details: Readonly<Record<string, unknown>> | null
}

export interface AuditEntry extends NewAuditEntry {
  readonly id: string
  readonly at: Date
}

export interface AuditFilter {
  readonly actor?: string
  readonly action?: string
  readonly targetType?: string
  readonly targetId?: string
  readonly since?: Date
  readonly until?: Date
  readonly limit: number
  readonly offset: number
  /** Keyset paging: entries with an id below this one. */
  readonly beforeId?: string
  readonly count: boolean
}

/** Who made an authenticated request: set on ctx.state.principal by the auth middleware. */
export interface Principal {
  readonly userId: string
  readonly email: string
  readonly name: string
  readonly role: Role
  /** `access_token`: a JWT from login/refresh; `api_key`: a weir_ key. */
  readonly via: 'access_token' | 'api_key'
  /** The refresh family of an access token (logout revokes it); null for API keys. */
  readonly sessionId: string | null
}
