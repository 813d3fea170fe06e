import { expect } from 'chai'
import {
  createApiKeyBodySchema,
  loginBodySchema,
  logoutBodySchema,
  refreshBodySchema,
} from '../../../src/api/routes/auth.routes.ts'
import { createUserBodySchema, updateUserBodySchema } from '../../../src/api/routes/users.routes.ts'
import { validateRequest } from '../../../src/api/zod-issues.ts'

describe('auth, user and API key bodies', () => {
  it('reports every problem at once, unknown fields included', () => {
    const r = validateRequest(createUserBodySchema, {
      email: 'nope',
      role: 'root',
      password: 'short',
      colour: 1,
    })
    expect(r.ok).to.equal(false)
    if (r.ok) return
    expect(r.issues).to.deep.equal([
      { path: 'colour', message: 'unknown field' },
      { path: 'email', message: "'nope' is not an email address" },
      { path: 'name', message: 'required field is missing' },
      { path: 'role', message: 'expected one of admin, member, viewer' },
      { path: 'password', message: 'must be at least 8 characters' },
    ])
  })

  it('accepts valid bodies', () => {
    expect(validateRequest(loginBodySchema, { email: 'a@b.c', password: 'x' })).to.deep.equal({
      ok: true,
      value: { email: 'a@b.c', password: 'x' },
    })
    expect(validateRequest(updateUserBodySchema, { password: null, disabled: true })).to.deep.equal(
      { ok: true, value: { password: null, disabled: true } },
    )
    expect(validateRequest(updateUserBodySchema, {}).ok).to.equal(true)
    expect(
      validateRequest(createApiKeyBodySchema, { name: 'ci', expires_in_days: 30 }).ok,
    ).to.equal(true)
    expect(validateRequest(refreshBodySchema, { refresh_token: 'wrt_x' }).ok).to.equal(true)
    expect(validateRequest(logoutBodySchema, {}).ok).to.equal(true)
  })

  it('checks types and ranges', () => {
    const r = validateRequest(createApiKeyBodySchema, { name: '', expires_in_days: 0.5 })
    expect(r.ok).to.equal(false)
    if (r.ok) return
    expect(r.issues.map((i) => `${i.path}: ${i.message}`)).to.deep.equal([
      'name: must not be empty',
      'expires_in_days: expected integer, got number',
    ])
    const days = validateRequest(createApiKeyBodySchema, { name: 'x', expires_in_days: 3651 })
    expect(days.ok ? [] : days.issues).to.deep.equal([
      { path: 'expires_in_days', message: 'must be between 1 and 3650' },
    ])
    const arr = validateRequest(loginBodySchema, [1])
    expect(arr.ok ? [] : arr.issues).to.deep.equal([
      { path: 'body', message: 'expected object, got array' },
    ])
    const d = validateRequest(updateUserBodySchema, { disabled: 'yes' })
    expect(d.ok ? [] : d.issues).to.deep.equal([
      { path: 'disabled', message: 'expected boolean, got string' },
    ])
    const login = validateRequest(loginBodySchema, { email: 3, extra: true })
    expect(login.ok ? [] : login.issues).to.deep.equal([
      { path: 'extra', message: 'unknown field' },
      { path: 'email', message: 'expected string, got number' },
      { path: 'password', message: 'required field is missing' },
    ])
  })

  it('quotes at most 80 characters of a bad email address', () => {
    const r = validateRequest(createUserBodySchema, { email: 'x'.repeat(400), name: 'n' })
    expect(r.ok ? [] : r.issues).to.deep.equal([
      { path: 'email', message: `'${'x'.repeat(80)}' is not an email address` },
    ])
  })
})
