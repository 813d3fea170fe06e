import { expect } from 'chai'
import { randomUUID } from 'node:crypto'
import { signAccessToken } from '../../../src/auth/access-token.ts'
import { newApiKey } from '../../../src/auth/credentials.ts'
import { insertApiKey } from '../../../src/db/repositories/api-key.repository.ts'
import { findUserByEmail } from '../../../src/db/repositories/user.repository.ts'
import type { TestApp } from '../../helpers/test-app.ts'
import {
  ADMIN,
  JWT_SECRET,
  MEMBER,
  VIEWER,
  bearer,
  buildAuthTestApp,
  createUser,
  login,
} from '../../helpers/auth.ts'

describe('auth: login, access and refresh tokens, logout, rate limit', function () {
  this.timeout(60_000)
  let t: TestApp
  let admin: string

  before(async function () {
    this.timeout(120_000)
    t = await buildAuthTestApp({
      worker: false,
      env: { WEIR__AUTH__LOGIN_RATE_LIMIT__MAX_FAILURES: '5' },
    })
    admin = (await login(t, ADMIN.email, ADMIN.password)).access_token
    await createUser(t, admin, MEMBER)
    await createUser(t, admin, VIEWER)
  })
  after(async () => {
    await t?.close()
  })

  it('creates the initial admin on first start and logs in with a bearer JWT pair', async () => {
    const tokens = await login(t, ADMIN.email.toUpperCase(), ADMIN.password)
    expect(tokens.token_type).to.equal('Bearer')
    expect(tokens.expires_in).to.equal(900)
    expect(tokens.access_token.split('.')).to.have.length(3)
    expect(tokens.refresh_token).to.match(/^wrt_/)
    const me = await t.request().get('/api/auth/me').set(bearer(tokens.access_token)).expect(200)
    expect(me.body).to.include({ email: ADMIN.email, role: 'admin', is_admin: true })
    expect(me.body.authenticated_via).to.equal('access_token')
    expect(me.body.auth_methods).to.include('password')
    expect(me.body.last_login_at).to.be.a('string')
  })

  it('refuses a wrong password or unknown email alike, and audits the attempt', async () => {
    const wrong = await t
      .request()
      .post('/api/auth/login')
      .send({ email: ADMIN.email, password: 'nope-nope' })
    expect(wrong.status).to.equal(401)
    expect(wrong.body).to.deep.equal({ error: 'invalid email or password', code: 'unauthorized' })
    const unknown = await t
      .request()
      .post('/api/auth/login')
      .send({ email: 'ghost@example.com', password: 'x' })
    expect(unknown.body).to.deep.equal(wrong.body)
    const audit = await t
      .request()
      .get('/api/audit?action=auth.login&actor=ghost@example.com')
      .set(bearer(admin))
      .expect(200)
    expect(audit.body).to.have.length(1)
    expect(audit.body[0]).to.include({ actor_type: 'anonymous', outcome: 'failure' })
    expect(JSON.stringify(audit.body)).to.not.include('"x"')
    const bad = await t.request().post('/api/auth/login').send({ email: 3, extra: true })
    expect(bad.status).to.equal(400)
    expect(bad.body.error).to.match(
      /extra: unknown field.*email: expected string.*password: required/,
    )
  })

  it('refuses expired keys and expired access tokens at once', async () => {
    const user = (await findUserByEmail(t.database.db, MEMBER.email))!
    const k = newApiKey()
    await insertApiKey(t.database.db, {
      id: randomUUID(),
      userId: user.id,
      name: 'old',
      prefix: k.prefix,
      keyHash: k.hash,
      expiresAt: new Date(Date.now() - 1000),
    })
    const res = await t.request().get('/api/jobs').set(bearer(k.key)).expect(401)
    expect(res.body.error).to.equal('API key expired')
    const stale = await signAccessToken({
      secret: JWT_SECRET,
      user,
      sessionId: randomUUID(),
      ttlSecs: 60,
      now: new Date(Date.now() - 3_600_000),
    })
    const expired = await t.request().get('/api/jobs').set(bearer(stale)).expect(401)
    expect(expired.body.error).to.match(/access token expired/)
    const forged = await signAccessToken({
      secret: 'not-the-server-secret-0123456789',
      user,
      sessionId: randomUUID(),
      ttlSecs: 60,
      now: new Date(),
    })
    await t.request().get('/api/jobs').set(bearer(forged)).expect(401)
  })

  it('rotates refresh tokens; a replayed one revokes the whole family', async () => {
    const first = await login(t, MEMBER.email, MEMBER.password)
    const second = (
      await t
        .request()
        .post('/api/auth/refresh')
        .send({ refresh_token: first.refresh_token })
        .expect(200)
    ).body
    expect(second.refresh_token).to.not.equal(first.refresh_token)
    await t.request().get('/api/jobs').set(bearer(second.access_token)).expect(200)
    const replay = await t
      .request()
      .post('/api/auth/refresh')
      .send({ refresh_token: first.refresh_token })
      .expect(401)
    expect(replay.body.error).to.match(/already used/)
    await t
      .request()
      .post('/api/auth/refresh')
      .send({ refresh_token: second.refresh_token })
      .expect(401)
    await t.request().get('/api/jobs').set(bearer(second.access_token)).expect(401)
    await t.request().get('/api/jobs').set(bearer(first.access_token)).expect(401)
    const audit = await t
      .request()
      .get('/api/audit?action=auth.refresh_reused')
      .set(bearer(admin))
      .expect(200)
    expect(audit.body[0]).to.include({ actor: MEMBER.email, outcome: 'failure' })
    await t.request().post('/api/auth/refresh').send({ refresh_token: 'wrt_nope' }).expect(401)
  })

  it('ends a session on logout', async () => {
    const s = await login(t, MEMBER.email, MEMBER.password)
    await t
      .request()
      .post('/api/auth/logout')
      .set(bearer(s.access_token))
      .send({ refresh_token: s.refresh_token })
      .expect(204)
    await t.request().get('/api/jobs').set(bearer(s.access_token)).expect(401)
    await t.request().post('/api/auth/refresh').send({ refresh_token: s.refresh_token }).expect(401)
  })

  it('rate-limits failed logins per address with 429 and Retry-After', async () => {
    let status = 0
    let res: any
    for (let i = 0; i < 6 && status !== 429; i++) {
      res = await t
        .request()
        .post('/api/auth/login')
        .send({ email: VIEWER.email, password: 'wrong-wrong' })
      status = res.status
    }
    expect(status).to.equal(429)
    expect(res.body.code).to.equal('too_many_requests')
    expect(Number(res.headers['retry-after'])).to.be.within(1, 300)
    // Even the right password waits now.
    const right = await t
      .request()
      .post('/api/auth/login')
      .send({ email: VIEWER.email, password: VIEWER.password })
    expect(right.status).to.equal(429)
    // Existing credentials keep working.
    await t.request().get('/api/jobs').set(bearer(admin)).expect(200)
  })
})
