import { expect } from 'chai'
import {
  apiKeyHash,
  apiKeyPrefix,
  classifyCredential,
  isApiKeyPrefix,
  isRefreshTokenShaped,
  newApiKey,
  newRefreshToken,
  parseAuthorization,
  refreshTokenHash,
} from '../../../src/auth/credentials.ts'

describe('credential formats', () => {
  it('makes weir_ API keys with a 12-character prefix and a SHA-256 hash', () => {
    const k = newApiKey()
    expect(k.key).to.match(/^weir_[A-Za-z0-9_-]{43}$/)
    expect(k.prefix).to.equal(k.key.slice(0, 12))
    expect(k.hash).to.match(/^[0-9a-f]{64}$/)
    expect(k.hash).to.equal(apiKeyHash(k.key))
    expect(apiKeyPrefix(k.key)).to.equal(k.prefix)
    expect(isApiKeyPrefix(k.prefix)).to.equal(true)
    expect(newApiKey().key).to.not.equal(k.key)
  })

  it('validates prefixes', () => {
    expect(isApiKeyPrefix('weir_abcdefg')).to.equal(true)
    expect(isApiKeyPrefix('weir_abcdef')).to.equal(false)
    expect(isApiKeyPrefix('weir_abc/efg')).to.equal(false)
    expect(isApiKeyPrefix('wxyz_abcdefg')).to.equal(false)
  })

  it('makes refresh tokens whose stored hash depends on the secret', () => {
    const t = newRefreshToken()
    expect(isRefreshTokenShaped(t)).to.equal(true)
    expect(refreshTokenHash(t, 'secret-one-xxxxxxxx')).to.not.equal(
      refreshTokenHash(t, 'secret-two-xxxxxxxx'),
    )
    expect(refreshTokenHash(t, 's')).to.equal(refreshTokenHash(t, 's'))
    expect(isRefreshTokenShaped('wrt_short')).to.equal(false)
  })

  it('classifies bearer values; a worker secret is not a user credential', () => {
    expect(classifyCredential(newApiKey().key)).to.equal('api_key')
    expect(classifyCredential('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln')).to.equal('access_token')
    expect(classifyCredential('wws_0123456789abcdefghijklmnop')).to.equal('unknown')
    expect(classifyCredential('weir_tooshort')).to.equal('unknown')
    expect(classifyCredential(newRefreshToken())).to.equal('unknown')
    expect(classifyCredential('')).to.equal('unknown')
  })

  it('parses the Authorization header', () => {
    expect(parseAuthorization(undefined)).to.deep.equal({ kind: 'none' })
    expect(parseAuthorization('')).to.deep.equal({ kind: 'none' })
    expect(parseAuthorization('Bearer abc.def')).to.deep.equal({ kind: 'token', token: 'abc.def' })
    expect(parseAuthorization('bearer xyz')).to.deep.equal({ kind: 'token', token: 'xyz' })
    expect(parseAuthorization('Basic dXNlcjpwdw==').kind).to.equal('malformed')
    expect(parseAuthorization('Bearer').kind).to.equal('malformed')
    expect(parseAuthorization('Bearer a b').kind).to.equal('malformed')
  })
})
