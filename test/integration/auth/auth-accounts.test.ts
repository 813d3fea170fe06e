import { expect } from 'chai'
import { waitFor } from '../../helpers/wait-for.ts'
import { randomUUID } from 'node:crypto'
import type { TestApp } from '../../helpers/test-app.ts'
import {
  ADMIN,
  MEMBER,
  VIEWER,
  bearer,
  buildAuthTestApp,
  createApiKey,
  createUser,
  login,
  waitForJobAs,
} from '../../helpers/auth.ts'

const EXECUTE = '/api/workspaces/default/tasks/hello-world/execute'

describe('auth: roles, API keys, users, job sources and the audit log', function () {
  this.timeout(60_000)
  let t: TestApp
  let admin: string
  let memberId: string

  before(async function () {
    this.timeout(120_000)
    t = await buildAuthTestApp()
    admin = (await login(t, ADMIN.email, ADMIN.password)).access_token
    memberId = await createUser(t, admin, MEMBER)
    await createUser(t, admin, VIEWER)
  })
  after(async () => {
    await t?.close()
  })

  it('runs jobs as the member: source_type user with the email; audited with that actor', async () => {
    const { access_token } = await login(t, MEMBER.email, MEMBER.password)
    const res = await t
      .request()
      .post(EXECUTE)
      .set(bearer(access_token))
      .send({ input: { name: 'M' } })
      .expect(200)
    const job = await waitForJobAs(t, admin, res.body.job_id)
    expect(job.source_type).to.equal('user')
    expect(job.source_id).to.equal(MEMBER.email)
    const retry = await t
      .request()
      .post(`/api/jobs/${job.job_id}/retry`)
      .set(bearer(access_token))
      .expect(200)
    const audit = await waitFor(
      async () => {
        const r = await t
          .request()
          .get(`/api/audit?actor=${encodeURIComponent(MEMBER.email)}`)
          .set(bearer(admin))
          .expect(200)
        return r.body.some((e: any) => e.action === 'job.executed') && r
      },
      { what: 'the job.executed audit entry' },
    )
    const actions = audit.body.map((e: any) => `${e.action} ${e.target_type} ${e.target_id}`)
    expect(actions).to.include(`job.executed job ${job.job_id}`)
    expect(actions).to.include(`job.retried job ${retry.body.job_id}`)
    expect(audit.body[0]).to.include({ actor_type: 'user', outcome: 'success' })
    expect(audit.body[0].address).to.be.a('string')
    const retried = await t
      .request()
      .get(`/api/jobs/${retry.body.job_id}`)
      .set(bearer(admin))
      .expect(200)
    expect(retried.body.source_type).to.equal('user')
  })

  it('keeps admin routes from members (403) and writes from viewers (403)', async () => {
    const member = (await login(t, MEMBER.email, MEMBER.password)).access_token
    for (const [m, p] of [
      ['get', '/api/users'],
      ['get', `/api/users/${memberId}`],
      ['get', '/api/audit'],
      ['post', '/api/users'],
    ] as const) {
      const res = await t.request()[m](p).set(bearer(member)).send({})
      expect(res.status, `${m} ${p}`).to.equal(403)
      expect(res.body.code).to.equal('forbidden')
    }
    const viewer = (await login(t, VIEWER.email, VIEWER.password)).access_token
    await t.request().get('/api/jobs').set(bearer(viewer)).expect(200)
    const job = (await t.request().get('/api/jobs?limit=1').set(bearer(viewer))).body[0].job_id
    for (const p of [
      EXECUTE,
      `/api/jobs/${job}/cancel`,
      `/api/jobs/${job}/retry`,
      '/api/workspaces/default/refresh',
      '/api/auth/api-keys',
    ]) {
      const res = await t.request().post(p).set(bearer(viewer)).send({ name: 'k' })
      expect(res.status, p).to.equal(403)
      expect(res.body.code).to.equal('forbidden')
    }
    await t.request().post('/api/workspaces/default/refresh').set(bearer(member)).expect(200)
  })

  it('issues API keys once, lists them without the secret, and revokes them at once', async () => {
    const member = (await login(t, MEMBER.email, MEMBER.password)).access_token
    const created = await t
      .request()
      .post('/api/auth/api-keys')
      .set(bearer(member))
      .send({ name: 'ci', expires_in_days: 7 })
      .expect(201)
    const { key, prefix } = created.body
    expect(key).to.match(/^weir_[A-Za-z0-9_-]{43}$/)
    expect(prefix).to.equal(key.slice(0, 12))
    expect(Date.parse(created.body.expires_at) - Date.now()).to.be.within(
      6.9 * 86_400_000,
      7 * 86_400_000,
    )
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
    // Another member's key is not found (404 reveals nothing); a viewer may not revoke (403).
    const adminKey = await createApiKey(t, admin, 'admin-own')
    await t
      .request()
      .delete(`/api/auth/api-keys/${adminKey.slice(0, 12)}`)
      .set(bearer(key))
      .expect(404)
    const viewer = (await login(t, VIEWER.email, VIEWER.password)).access_token
    await t.request().delete(`/api/auth/api-keys/${prefix}`).set(bearer(viewer)).expect(403)
    await t.request().delete('/api/auth/api-keys/bad').set(bearer(member)).expect(400)
    // An admin may revoke anyone's key; it stops working at once.
    await t.request().delete(`/api/auth/api-keys/${prefix}`).set(bearer(admin)).expect(200)
    const again = await t.request().get('/api/jobs').set(bearer(key)).expect(401)
    expect(again.body.error).to.equal('API key was revoked')
    const audit = await t
      .request()
      .get(`/api/audit?target_type=api_key&target_id=${prefix}`)
      .set(bearer(admin))
      .expect(200)
    expect(audit.body.map((e: any) => `${e.action} ${e.actor}`)).to.deep.equal([
      `api_key.revoked ${ADMIN.email}`,
      `api_key.created ${MEMBER.email}`,
    ])
  })

  it('locks a disabled user out at once (tokens and keys), and lets them back in', async () => {
    const s = await login(t, MEMBER.email, MEMBER.password)
    const key = await createApiKey(t, s.access_token)
    const off = await t
      .request()
      .put(`/api/users/${memberId}`)
      .set(bearer(admin))
      .send({ disabled: true })
      .expect(200)
    expect(off.body.disabled).to.equal(true)
    for (const token of [s.access_token, key]) {
      const res = await t.request().get('/api/jobs').set(bearer(token)).expect(401)
      expect(res.body.error).to.match(/disabled|session ended/)
    }
    await t
      .request()
      .post('/api/auth/login')
      .send({ email: MEMBER.email, password: MEMBER.password })
      .expect(401)
    await t
      .request()
      .put(`/api/users/${memberId}`)
      .set(bearer(admin))
      .send({ disabled: false })
      .expect(200)
    await t.request().get('/api/jobs').set(bearer(key)).expect(200)
    const audit = await t
      .request()
      .get(`/api/audit?action=user.updated&target_id=${memberId}`)
      .set(bearer(admin))
      .expect(200)
    expect(audit.body).to.have.length(2)
    expect(audit.body[1].details).to.deep.equal({
      email: MEMBER.email,
      changed: ['disabled'],
      disabled: true,
    })
  })

  it('manages users: list sorted by email with paging, detail, validation, last admin kept', async () => {
    const list = await t.request().get('/api/users?limit=2').set(bearer(admin)).expect(200)
    expect(list.headers['x-total-count']).to.equal('3')
    expect(list.body.map((u: any) => u.email)).to.deep.equal([ADMIN.email, MEMBER.email])
    expect(list.body[0]).to.have.keys([
      'user_id',
      'name',
      'email',
      'is_admin',
      'role',
      'auth_methods',
      'disabled',
      'disabled_at',
      'created_at',
      'last_login_at',
    ])
    const next = await t
      .request()
      .get(`/api/users?limit=2&cursor=${list.headers['x-next-cursor']}`)
      .set(bearer(admin))
      .expect(200)
    expect(next.body.map((u: any) => u.email)).to.deep.equal([VIEWER.email])
    const dup = await t
      .request()
      .post('/api/users')
      .set(bearer(admin))
      .send({ email: 'VIC@example.com', name: 'x' })
    expect(dup.status).to.equal(409)
    const bad = await t
      .request()
      .post('/api/users')
      .set(bearer(admin))
      .send({ email: 'x', role: 'boss' })
    expect(bad.status).to.equal(400)
    expect(bad.body.error).to.match(
      /email: .*name: required field is missing; role: expected one of/,
    )
    await t.request().get(`/api/users/${randomUUID()}`).set(bearer(admin)).expect(404)
    await t.request().get('/api/users/abc').set(bearer(admin)).expect(400)
    const adminId = (await t.request().get('/api/auth/me').set(bearer(admin))).body.user_id
    const demote = await t
      .request()
      .put(`/api/users/${adminId}`)
      .set(bearer(admin))
      .send({ role: 'member' })
    expect(demote.status).to.equal(409)
    expect(demote.body.error).to.match(/last enabled admin/)
  })

  it('lists the audit log newest first with filters, time range and paging', async () => {
    const all = await t.request().get('/api/audit?limit=3').set(bearer(admin)).expect(200)
    expect(all.body).to.have.length(3)
    expect(all.body[0].id).to.be.greaterThan(all.body[1].id)
    const total = Number(all.headers['x-total-count'])
    expect(total).to.be.greaterThan(3)
    const page2 = await t
      .request()
      .get(`/api/audit?limit=3&cursor=${all.headers['x-next-cursor']}`)
      .set(bearer(admin))
      .expect(200)
    expect(page2.body[0].id).to.be.lessThan(all.body[2].id)
    const byOffset = await t
      .request()
      .get('/api/audit?limit=3&offset=3')
      .set(bearer(admin))
      .expect(200)
    expect(byOffset.body).to.deep.equal(page2.body)
    const future = await t
      .request()
      .get(`/api/audit?since=${new Date(Date.now() + 60_000).toISOString()}`)
      .set(bearer(admin))
      .expect(200)
    expect(future.body).to.deep.equal([])
    const past = await t
      .request()
      .get(`/api/audit?until=${new Date(Date.now() + 60_000).toISOString()}&count=false`)
      .set(bearer(admin))
      .expect(200)
    expect(past.headers['x-total-count']).to.equal(undefined)
    await t.request().get('/api/audit?since=yesterday').set(bearer(admin)).expect(400)
    await t.request().get('/api/audit?cursor=zz').set(bearer(admin)).expect(400)
    const created = await t
      .request()
      .get('/api/audit?action=user.created')
      .set(bearer(admin))
      .expect(200)
    expect(created.body.map((e: any) => e.actor)).to.include.members([ADMIN.email, 'config'])
  })
})
