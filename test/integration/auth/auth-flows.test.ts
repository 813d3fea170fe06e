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
  bearer,
  buildAuthTestApp,
  createApiKey,
  createUser,
  login,
  waitForJobAs,
} from '../../helpers/auth.ts'

const MEMBER = { email: 'Mia.Member@example.com', name: 'Mia', role: 'member', password: 'member-pass-1' }
const VIEWER = { email: 'vic@example.com', name: 'Vic', role: 'viewer', password: 'viewer-pass-1' }
const EXECUTE = '/api/workspaces/default/tasks/hello-world/execute'

describe('auth: login, tokens, keys, roles and audit', function () {
  this.timeout(60_000)
  let t: TestApp
  let admin: string
  let memberId: string

  before(async function () {
    this.timeout(120_000)
    t = await buildAuthTestApp({ env: { WEIR__AUTH__LOGIN_RATE_LIMIT__MAX_FAILURES: '5' } })
    admin = (await login(t, ADMIN.email, ADMIN.password)).access_token
    memberId = await createUser(t, admin, MEMBER)
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
    const wrong = await t.request().post('/api/auth/login').send({ email: ADMIN.email, password: 'nope-nope' })
    expect(wrong.status).to.equal(401)
    expect(wrong.body).to.deep.equal({ error: 'invalid email or password', code: 'unauthorized' })
    const unknown = await t.request().post('/api/auth/login').send({ email: 'ghost@example.com', password: 'x' })
    expect(unknown.body).to.deep.equal(wrong.body)
    const audit = await t.request().get('/api/audit?action=auth.login&actor=ghost@example.com').set(bearer(admin)).expect(200)
    expect(audit.body).to.have.length(1)
    expect(audit.body[0]).to.include({ actor_type: 'anonymous', outcome: 'failure' })
    expect(JSON.stringify(audit.body)).to.not.include('"x"')
    const bad = await t.request().post('/api/auth/login').send({ email: 3, extra: true })
    expect(bad.status).to.equal(400)
    expect(bad.body.error).to.match(/extra: unknown field.*email: expected string.*password: required/)
  })

  it('runs jobs as the member: source_type user with the email; audited with that actor', async () => {
    const { access_token } = await login(t, MEMBER.email, MEMBER.password)
    const res = await t.request().post(EXECUTE).set(bearer(access_token)).send({ input: { name: 'M' } }).expect(200)
    const job = await waitForJobAs(t, admin, res.body.job_id)
    expect(job.source_type).to.equal('user')
    expect(job.source_id).to.equal(MEMBER.email)
    const retry = await t.request().post(`/api/jobs/${job.job_id}/retry`).set(bearer(access_token)).expect(200)
    const audit = await t.request().get(`/api/audit?actor=${encodeURIComponent(MEMBER.email)}`).set(bearer(admin)).expect(200)
    const actions = audit.body.map((e: any) => `${e.action} ${e.target_type} ${e.target_id}`)
    expect(actions).to.include(`job.executed job ${job.job_id}`)
    expect(actions).to.include(`job.retried job ${retry.body.job_id}`)
    expect(audit.body[0]).to.include({ actor_type: 'user', outcome: 'success' })
    expect(audit.body[0].address).to.be.a('string')
    const retried = await t.request().get(`/api/jobs/${retry.body.job_id}`).set(bearer(admin)).expect(200)
    expect(retried.body.source_type).to.equal('user')
  })

  it('keeps admin routes from members (403) and writes from viewers (403)', async () => {
    const member = (await login(t, MEMBER.email, MEMBER.password)).access_token
    for (const [m, p] of [['get', '/api/users'], ['get', `/api/users/${memberId}`], ['get', '/api/audit'], ['post', '/api/users']] as const) {
      const res = await t.request()[m](p).set(bearer(member)).send({})
      expect(res.status, `${m} ${p}`).to.equal(403)
      expect(res.body.code).to.equal('forbidden')
    }
    const viewer = (await login(t, VIEWER.email, VIEWER.password)).access_token
    await t.request().get('/api/jobs').set(bearer(viewer)).expect(200)
    const job = (await t.request().get('/api/jobs?limit=1').set(bearer(viewer))).body[0].job_id
    for (const p of [EXECUTE, `/api/jobs/${job}/cancel`, `/api/jobs/${job}/retry`, '/api/workspaces/default/refresh', '/api/auth/api-keys']) {
      const res = await t.request().post(p).set(bearer(viewer)).send({ name: 'k' })
      expect(res.status, p).to.equal(403)
      expect(res.body.code).to.equal('forbidden')
    }
    await t.request().post('/api/workspaces/default/refresh').set(bearer(member)).expect(200)
  })

  it('issues API keys once, lists them without the secret, and revokes them at once', async () => {
    const member = (await login(t, MEMBER.email, MEMBER.password)).access_token
    const created = await t.request().post('/api/auth/api-keys').set(bearer(member)).send({ name: 'ci', expires_in_days: 7 }).expect(201)
    const { key, prefix } = created.body
    expect(key).to.match(/^weir_[A-Za-z0-9_-]{43}$/)
    expect(prefix).to.equal(key.slice(0, 12))
    expect(Date.parse(created.body.expires_at) - Date.now()).to.be.within(6.9 * 86_400_000, 7 * 86_400_000)
    const me = await t.request().get('/api/auth/me').set(bearer(key)).expect(200)
    expect(me.body).to.include({ email: MEMBER.email, authenticated_via: 'api_key' })
    const list = await t.request().get('/api/auth/api-keys').set(bearer(key)).expect(200)
    expect(list.body[0]).to.include({ prefix, name: 'ci', revoked_at: null })
    expect(list.body[0].last_used_at).to.be.a('string')
    expect(JSON.stringify(list.body)).to.not.include(key)
    const user = await t.request().get(`/api/users/${memberId}`).set(bearer(admin)).expect(200)
    expect(user.body.auth_methods).to.deep.equal(['password', 'api_key'])
    const res = await t.request().post(EXECUTE).set(bearer(key)).send({}).expect(200)
    const job = await t.request().get(`/api/jobs/${res.body.job_id}`).set(bearer(key)).expect(200)
    expect(job.body.source_id).to.equal(MEMBER.email)
    // An admin may revoke anyone's key; it stops working at once.
    await t.request().delete(`/api/auth/api-keys/${prefix}`).set(bearer(admin)).expect(200)
    const again = await t.request().get('/api/jobs').set(bearer(key)).expect(401)
    expect(again.body.error).to.equal('API key was revoked')
    const audit = await t.request().get(`/api/audit?target_type=api_key&target_id=${prefix}`).set(bearer(admin)).expect(200)
    expect(audit.body.map((e: any) => `${e.action} ${e.actor}`)).to.deep.equal([
      `api_key.revoked ${ADMIN.email}`,
      `api_key.created ${MEMBER.email}`,
    ])
  })

  it('refuses expired keys and expired access tokens at once', async () => {
    const user = (await findUserByEmail(t.database.db, MEMBER.email))!
    const k = newApiKey()
    await insertApiKey(t.database.db, {
      id: randomUUID(), userId: user.id, name: 'old', prefix: k.prefix, keyHash: k.hash,
      expiresAt: new Date(Date.now() - 1000),
    })
    const res = await t.request().get('/api/jobs').set(bearer(k.key)).expect(401)
    expect(res.body.error).to.equal('API key expired')
    const stale = await signAccessToken({
      secret: JWT_SECRET, user, sessionId: randomUUID(), ttlSecs: 60, now: new Date(Date.now() - 3_600_000),
    })
    const expired = await t.request().get('/api/jobs').set(bearer(stale)).expect(401)
    expect(expired.body.error).to.match(/access token expired/)
    const forged = await signAccessToken({
      secret: 'not-the-server-secret-0123456789', user, sessionId: randomUUID(), ttlSecs: 60, now: new Date(),
    })
    await t.request().get('/api/jobs').set(bearer(forged)).expect(401)
  })

  it('rotates refresh tokens; a replayed one revokes the whole family', async () => {
    const first = await login(t, MEMBER.email, MEMBER.password)
    const second = (await t.request().post('/api/auth/refresh').send({ refresh_token: first.refresh_token }).expect(200)).body
    expect(second.refresh_token).to.not.equal(first.refresh_token)
    await t.request().get('/api/jobs').set(bearer(second.access_token)).expect(200)
    const replay = await t.request().post('/api/auth/refresh').send({ refresh_token: first.refresh_token }).expect(401)
    expect(replay.body.error).to.match(/already used/)
    await t.request().post('/api/auth/refresh').send({ refresh_token: second.refresh_token }).expect(401)
    await t.request().get('/api/jobs').set(bearer(second.access_token)).expect(401)
    await t.request().get('/api/jobs').set(bearer(first.access_token)).expect(401)
    const audit = await t.request().get('/api/audit?action=auth.refresh_reused').set(bearer(admin)).expect(200)
    expect(audit.body[0]).to.include({ actor: MEMBER.email, outcome: 'failure' })
    await t.request().post('/api/auth/refresh').send({ refresh_token: 'wrt_nope' }).expect(401)
  })

  it('ends a session on logout', async () => {
    const s = await login(t, MEMBER.email, MEMBER.password)
    await t.request().post('/api/auth/logout').set(bearer(s.access_token)).send({ refresh_token: s.refresh_token }).expect(204)
    await t.request().get('/api/jobs').set(bearer(s.access_token)).expect(401)
    await t.request().post('/api/auth/refresh').send({ refresh_token: s.refresh_token }).expect(401)
  })

  it('locks a disabled user out at once (tokens and keys), and lets them back in', async () => {
    const s = await login(t, MEMBER.email, MEMBER.password)
    const key = await createApiKey(t, s.access_token)
    const off = await t.request().put(`/api/users/${memberId}`).set(bearer(admin)).send({ disabled: true }).expect(200)
    expect(off.body.disabled).to.equal(true)
    for (const token of [s.access_token, key]) {
      const res = await t.request().get('/api/jobs').set(bearer(token)).expect(401)
      expect(res.body.error).to.match(/disabled|session ended/)
    }
    await t.request().post('/api/auth/login').send({ email: MEMBER.email, password: MEMBER.password }).expect(401)
    await t.request().put(`/api/users/${memberId}`).set(bearer(admin)).send({ disabled: false }).expect(200)
    await t.request().get('/api/jobs').set(bearer(key)).expect(200)
    const audit = await t.request().get(`/api/audit?action=user.updated&target_id=${memberId}`).set(bearer(admin)).expect(200)
    expect(audit.body).to.have.length(2)
    expect(audit.body[1].details).to.deep.equal({ email: MEMBER.email, changed: ['disabled'], disabled: true })
  })

  it('manages users: list sorted by email with paging, detail, validation, last admin kept', async () => {
    const list = await t.request().get('/api/users?limit=2').set(bearer(admin)).expect(200)
    expect(list.headers['x-total-count']).to.equal('3')
    expect(list.body.map((u: any) => u.email)).to.deep.equal([ADMIN.email, MEMBER.email])
    expect(list.body[0]).to.have.keys(['user_id', 'name', 'email', 'is_admin', 'role', 'auth_methods', 'disabled', 'disabled_at', 'created_at', 'last_login_at'])
    const next = await t.request().get(`/api/users?limit=2&cursor=${list.headers['x-next-cursor']}`).set(bearer(admin)).expect(200)
    expect(next.body.map((u: any) => u.email)).to.deep.equal([VIEWER.email])
    const dup = await t.request().post('/api/users').set(bearer(admin)).send({ email: 'VIC@example.com', name: 'x' })
    expect(dup.status).to.equal(409)
    const bad = await t.request().post('/api/users').set(bearer(admin)).send({ email: 'x', role: 'boss' })
    expect(bad.status).to.equal(400)
    expect(bad.body.error).to.match(/email: .*name: required field is missing; role: expected one of/)
    await t.request().get(`/api/users/${randomUUID()}`).set(bearer(admin)).expect(404)
    await t.request().get('/api/users/abc').set(bearer(admin)).expect(400)
    const adminId = (await t.request().get('/api/auth/me').set(bearer(admin))).body.user_id
    const demote = await t.request().put(`/api/users/${adminId}`).set(bearer(admin)).send({ role: 'member' })
    expect(demote.status).to.equal(409)
    expect(demote.body.error).to.match(/last enabled admin/)
  })

  it('lists the audit log newest first with filters, time range and paging', async () => {
    const all = await t.request().get('/api/audit?limit=3').set(bearer(admin)).expect(200)
    expect(all.body).to.have.length(3)
    expect(all.body[0].id).to.be.greaterThan(all.body[1].id)
    const total = Number(all.headers['x-total-count'])
    expect(total).to.be.greaterThan(3)
    const page2 = await t.request().get(`/api/audit?limit=3&cursor=${all.headers['x-next-cursor']}`).set(bearer(admin)).expect(200)
    expect(page2.body[0].id).to.be.lessThan(all.body[2].id)
    const byOffset = await t.request().get('/api/audit?limit=3&offset=3').set(bearer(admin)).expect(200)
    expect(byOffset.body).to.deep.equal(page2.body)
    const future = await t.request().get(`/api/audit?since=${new Date(Date.now() + 60_000).toISOString()}`).set(bearer(admin)).expect(200)
    expect(future.body).to.deep.equal([])
    const past = await t.request().get(`/api/audit?until=${new Date(Date.now() + 60_000).toISOString()}&count=false`).set(bearer(admin)).expect(200)
    expect(past.headers['x-total-count']).to.equal(undefined)
    await t.request().get('/api/audit?since=yesterday').set(bearer(admin)).expect(400)
    await t.request().get('/api/audit?cursor=zz').set(bearer(admin)).expect(400)
    const created = await t.request().get('/api/audit?action=user.created').set(bearer(admin)).expect(200)
    expect(created.body.map((e: any) => e.actor)).to.include.members([ADMIN.email, 'config'])
  })

  it('rate-limits failed logins per address with 429 and Retry-After', async () => {
    let status = 0
    let res: any
    for (let i = 0; i < 6 && status !== 429; i++) {
      res = await t.request().post('/api/auth/login').send({ email: VIEWER.email, password: 'wrong-wrong' })
      status = res.status
    }
    expect(status).to.equal(429)
    expect(res.body.code).to.equal("too_many_requests")
    expect(Number(res.headers['retry-after'])).to.be.within(1, 300)
    // Even the right password waits now.
    const right = await t.request().post('/api/auth/login').send({ email: VIEWER.email, password: VIEWER.password })
    expect(right.status).to.equal(429)
    // Existing credentials keep working.
    await t.request().get('/api/jobs').set(bearer(admin)).expect(200)
  })
})
