/**
 * Request bodies of the auth, user and API key routes: every problem is reported at once, each
 * with its field, and unknown fields are refused (API.md §1.2).
 */
import { isRole, ROLES, type Role } from '../shared/accounts.ts'
import { assertNever } from '../shared/errors.ts'
import { MAX_PASSWORD_LENGTH } from './password.ts'

export interface Issue {
  readonly path: string
  readonly message: string
}
export type Parsed<T> = { ok: true; value: T } | { ok: false; issues: Issue[] }

type FieldSpec =
  | { type: 'string'; required?: boolean; nullable?: boolean; min?: number; max?: number }
  | { type: 'email'; required?: boolean }
  | { type: 'role'; required?: boolean }
  | { type: 'boolean'; required?: boolean }
  | { type: 'integer'; required?: boolean; min: number; max: number }

const EMAIL_RE = /^[^\s@]+@[^\s@]+$/

function typeName(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  return typeof v
}

function checkField(v: unknown, spec: FieldSpec): string | null {
  switch (spec.type) {
    case 'string': {
      if (v === null && spec.nullable) return null
      if (typeof v !== 'string') return `expected string, got ${typeName(v)}`
      if (spec.min !== undefined && v.length < spec.min)
        return spec.min === 1 ? 'must not be empty' : `must be at least ${spec.min} characters`
      if (spec.max !== undefined && v.length > spec.max)
        return `must be at most ${spec.max} characters`
      return null
    }
    case 'email':
      if (typeof v !== 'string') return `expected string, got ${typeName(v)}`
      if (v.length > 320 || !EMAIL_RE.test(v)) return `'${v.slice(0, 80)}' is not an email address`
      return null
    case 'role':
      if (typeof v !== 'string' || !isRole(v)) return `expected one of ${ROLES.join(', ')}`
      return null
    case 'boolean':
      return typeof v === 'boolean' ? null : `expected boolean, got ${typeName(v)}`
    case 'integer':
      if (typeof v !== 'number' || !Number.isInteger(v))
        return `expected integer, got ${typeName(v)}`
      if (v < spec.min || v > spec.max) return `must be between ${spec.min} and ${spec.max}`
      return null
    default:
      return assertNever(spec, 'field spec')
  }
}

/** Checks `body` against `specs`; a missing body counts as `{}`. */
export function readBody<T>(body: unknown, specs: Record<string, FieldSpec>): Parsed<T> {
  const obj = body === undefined ? {} : body
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
    return { ok: false, issues: [{ path: 'body', message: 'expected a JSON object' }] }
  const issues: Issue[] = []
  const record = obj as Record<string, unknown>
  for (const key of Object.keys(record))
    if (!(key in specs)) issues.push({ path: key, message: 'unknown field' })
  for (const [key, spec] of Object.entries(specs)) {
    const v = record[key]
    if (v === undefined) {
      if (spec.required) issues.push({ path: key, message: 'required field is missing' })
      continue
    }
    const problem = checkField(v, spec)
    if (problem !== null) issues.push({ path: key, message: problem })
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: record as T }
}

const password = { type: 'string', min: 8, max: MAX_PASSWORD_LENGTH } as const
const name = { type: 'string', min: 1, max: 200 } as const

export function parseLoginBody(body: unknown): Parsed<{ email: string; password: string }> {
  // No length rules here: a wrong password is a 401, not a hint about the policy.
  return readBody(body, {
    email: { type: 'string', required: true, max: 320 },
    password: { type: 'string', required: true, max: MAX_PASSWORD_LENGTH },
  })
}

export function parseRefreshBody(body: unknown): Parsed<{ refresh_token: string }> {
  return readBody(body, { refresh_token: { type: 'string', required: true, max: 200 } })
}

export function parseLogoutBody(body: unknown): Parsed<{ refresh_token?: string }> {
  return readBody(body, { refresh_token: { type: 'string', max: 200 } })
}

export function parseCreateUserBody(
  body: unknown,
): Parsed<{ email: string; name: string; role?: Role; password?: string }> {
  return readBody(body, {
    email: { type: 'email', required: true },
    name: { ...name, required: true },
    role: { type: 'role' },
    password,
  })
}

export function parseUpdateUserBody(
  body: unknown,
): Parsed<{ name?: string; role?: Role; password?: string | null; disabled?: boolean }> {
  return readBody(body, {
    name,
    role: { type: 'role' },
    password: { ...password, nullable: true },
    disabled: { type: 'boolean' },
  })
}

export const MAX_API_KEY_DAYS = 3650

export function parseCreateApiKeyBody(
  body: unknown,
): Parsed<{ name: string; expires_in_days?: number }> {
  return readBody(body, {
    name: { ...name, required: true },
    expires_in_days: { type: 'integer', min: 1, max: MAX_API_KEY_DAYS },
  })
}
