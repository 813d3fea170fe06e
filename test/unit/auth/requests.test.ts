import { expect } from 'chai'
import {
  parseCreateApiKeyBody,
  parseCreateUserBody,
  parseLoginBody,
  parseUpdateUserBody,
} from '../../../src/auth/requests.ts'

describe('auth request bodies', () => {
  it('reports every problem at once, unknown fields included', () => {
    const r = parseCreateUserBody({ email: 'nope', role: 'root', password: 'short', colour: 1 })
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
    expect(parseLoginBody({ email: 'a@b.c', password: 'x' })).to.deep.equal({
      ok: true,
      value: { email: 'a@b.c', password: 'x' },
    })
    expect(parseUpdateUserBody({ password: null, disabled: true }).ok).to.equal(true)
    expect(parseUpdateUserBody(undefined).ok).to.equal(true)
    expect(parseCreateApiKeyBody({ name: 'ci', expires_in_days: 30 }).ok).to.equal(true)
  })

  it('checks types and ranges', () => {
    const r = parseCreateApiKeyBody({ name: '', expires_in_days: 0.5 })
    expect(r.ok).to.equal(false)
    if (r.ok) return
    expect(r.issues.map((i) => `${i.path}: ${i.message}`)).to.deep.equal([
      'name: must not be empty',
      'expires_in_days: expected integer, got number',
    ])
    const arr = parseLoginBody([1])
    expect(arr.ok).to.equal(false)
    const d = parseUpdateUserBody({ disabled: 'yes' })
    expect(d.ok ? [] : d.issues).to.deep.equal([
      { path: 'disabled', message: 'expected boolean, got string' },
    ])
  })
})
