/** Users, API keys and audit entries as snake_case JSON (API.md §7.1, §12). */
import type { ApiKeyInfo, AuditEntry, UserSummary } from '../shared/accounts.ts'

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString())

export function toUserDto(u: UserSummary) {
  const authMethods: string[] = []
  if (u.hasPassword) authMethods.push('password')
  if (u.hasActiveApiKey) authMethods.push('api_key')
  return {
    user_id: u.id,
    name: u.name,
    email: u.email,
    is_admin: u.role === 'admin',
    role: u.role,
    auth_methods: authMethods,
    disabled: u.disabledAt !== null,
    disabled_at: iso(u.disabledAt),
    created_at: u.createdAt.toISOString(),
    last_login_at: iso(u.lastLoginAt),
  }
}

export function toApiKeyDto(k: ApiKeyInfo) {
  return {
    prefix: k.prefix,
    name: k.name,
    created_at: k.createdAt.toISOString(),
    expires_at: iso(k.expiresAt),
    last_used_at: iso(k.lastUsedAt),
    revoked_at: iso(k.revokedAt),
  }
}

export function toAuditDto(e: AuditEntry) {
  return {
    id: Number(e.id),
    at: e.at.toISOString(),
    actor_type: e.actorType,
    actor: e.actor,
    action: e.action,
    target_type: e.targetType,
    target_id: e.targetId,
    address: e.address,
    outcome: e.outcome,
    details: e.details,
  }
}
