/** Users, API keys and audit entries as snake_case JSON (API.md §7.1, §12), with their schemas. */
import { z } from 'zod'
import {
  ACTOR_TYPES,
  AUDIT_OUTCOMES,
  ROLES,
  type ApiKeyInfo,
  type AuditEntry,
  type UserSummary,
} from '../shared/accounts.ts'
import { jsonDto, timestampDto } from './dto.ts'

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString())

export const userDto = z.object({
  user_id: z.string(),
  name: z.string(),
  email: z.string(),
  is_admin: z.boolean(),
  role: z.enum(ROLES),
  auth_methods: z.array(z.enum(['password', 'api_key'])),
  disabled: z.boolean(),
  disabled_at: timestampDto.nullable(),
  created_at: timestampDto,
  last_login_at: timestampDto.nullable(),
})

export function toUserDto(u: UserSummary): z.output<typeof userDto> {
  const authMethods: Array<'password' | 'api_key'> = []
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

export const apiKeyDto = z.object({
  prefix: z.string(),
  name: z.string(),
  created_at: timestampDto,
  expires_at: timestampDto.nullable(),
  last_used_at: timestampDto.nullable(),
  revoked_at: timestampDto.nullable(),
})

export function toApiKeyDto(k: ApiKeyInfo): z.output<typeof apiKeyDto> {
  return {
    prefix: k.prefix,
    name: k.name,
    created_at: k.createdAt.toISOString(),
    expires_at: iso(k.expiresAt),
    last_used_at: iso(k.lastUsedAt),
    revoked_at: iso(k.revokedAt),
  }
}

export const auditDto = z.object({
  id: z.int(),
  at: timestampDto,
  actor_type: z.enum(ACTOR_TYPES),
  actor: z.string().nullable(),
  action: z.string(),
  target_type: z.string().nullable(),
  target_id: z.string().nullable(),
  address: z.string().nullable(),
  outcome: z.enum(AUDIT_OUTCOMES),
  details: z.record(z.string(), jsonDto).nullable(),
})

export function toAuditDto(e: AuditEntry): z.output<typeof auditDto> {
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
    details: e.details === null ? null : { ...e.details },
  }
}
