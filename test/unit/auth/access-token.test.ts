import { expect } from 'chai'
import { SignJWT } from 'jose'
import { signAccessToken, verifyAccessToken } from '../../../src/auth/access-token.ts'

const SECRET = 'unit-test-jwt-secret-0123456789'
const user = {
  id: '5b7f3c1e-0000-4000-8000-000000000001',
  email: 'ada@example.com',
  role: 'member' as const,
}
const now = new Date('2026-03-02T10:00:00.000Z')

describe('access tokens (JWT HS256)', () => {
  it('round-trips the claims until the token expires', async () => {
    const token = await signAccessToken({
      secret: SECRET,
      user,
      sessionId: 'fam-1',
      ttlSecs: 900,
      now,
    })
    const ok = await verifyAccessToken({
      secret: SECRET,
      token,
      now: new Date(now.getTime() + 899_000),
    })
    expect(ok.ok).to.equal(true)
    if (!ok.ok) return
    expect(ok.claims.userId).to.equal(user.id)
    expect(ok.claims.email).to.equal(user.email)
    expect(ok.claims.role).to.equal('member')
    expect(ok.claims.sessionId).to.equal('fam-1')
    expect(ok.claims.tokenId).to.match(/^[0-9a-f-]{36}$/)
    expect(ok.claims.expiresAt.toISOString()).to.equal('2026-03-02T10:15:00.000Z')
    const late = await verifyAccessToken({
      secret: SECRET,
      token,
      now: new Date(now.getTime() + 900_000),
    })
    expect(late).to.deep.equal({ ok: false, reason: 'expired' })
  })

  it('gives each token its own jti', async () => {
    const a = await signAccessToken({ secret: SECRET, user, sessionId: 's', ttlSecs: 60, now })
    const b = await signAccessToken({ secret: SECRET, user, sessionId: 's', ttlSecs: 60, now })
    expect(a).to.not.equal(b)
  })

  it('rejects another secret, a tampered token, garbage and alg none', async () => {
    const token = await signAccessToken({ secret: SECRET, user, sessionId: 's', ttlSecs: 60, now })
    expect(
      await verifyAccessToken({ secret: 'another-secret-0123456789abc', token, now }),
    ).to.deep.equal({ ok: false, reason: 'invalid' })
    const [h, p, s] = token.split('.')
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>
    payload.role = 'admin'
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`
    expect(await verifyAccessToken({ secret: SECRET, token: forged, now })).to.deep.equal({
      ok: false,
      reason: 'invalid',
    })
    expect(await verifyAccessToken({ secret: SECRET, token: 'a.b.c', now })).to.deep.equal({
      ok: false,
      reason: 'invalid',
    })
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`
    expect(await verifyAccessToken({ secret: SECRET, token: none, now })).to.deep.equal({
      ok: false,
      reason: 'invalid',
    })
  })

  it('rejects a correctly signed token without Weir claims', async () => {
    const token = await new SignJWT({ email: user.email })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuedAt(Math.floor(now.getTime() / 1000))
      .setExpirationTime(Math.floor(now.getTime() / 1000) + 60)
      .sign(new TextEncoder().encode(SECRET))
    expect(await verifyAccessToken({ secret: SECRET, token, now })).to.deep.equal({
      ok: false,
      reason: 'invalid',
    })
  })
})
