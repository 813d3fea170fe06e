import { expect } from 'chai'
import supertest from 'supertest'
import type { TestApp } from '../../helpers/test-app.ts'
import { ADMIN, bearer, buildAuthTestApp } from '../../helpers/auth.ts'

/** The `weir_refresh` cookie of a response, as its raw Set-Cookie line. */
function refreshCookie(res: supertest.Response): string | undefined {
  const raw = res.headers['set-cookie'] as unknown
  const lines = Array.isArray(raw) ? (raw as string[]) : []
  return lines.find((l) => l.startsWith('weir_refresh='))
}

const valueOf = (line: string | undefined) => line?.split(';')[0]?.slice('weir_refresh='.length)

describe('auth: the browser refresh cookie', function () {
  this.timeout(60_000)
  let t: TestApp
  // No agent: each request sends exactly the cookies a test gives it.
  const http = () => supertest(t.app.api.callback())

  before(async function () {
    this.timeout(120_000)
    t = await buildAuthTestApp({ worker: false })
  })
  after(async () => {
    await t?.close()
  })

  it('sets an HttpOnly, SameSite=Strict cookie scoped to /api/auth on login, and keeps the body tokens', async () => {
    const res = await http().post('/api/auth/login').send(ADMIN).expect(200)
    expect(res.body.refresh_token).to.match(/^wrt_/)
    const line = refreshCookie(res)!
    expect(line).to.be.a('string')
    expect(valueOf(line)).to.equal(res.body.refresh_token)
    expect(line.toLowerCase()).to.include('path=/api/auth')
    expect(line.toLowerCase()).to.include('httponly')
    expect(line.toLowerCase()).to.include('samesite=strict')
    expect(line.toLowerCase()).to.include('expires=')
    expect(line.toLowerCase()).to.not.include('secure')
  })

  it('refreshes from the cookie alone, rotates it and keeps the new token out of the body', async () => {
    const login = await http().post('/api/auth/login').send(ADMIN).expect(200)
    const first = valueOf(refreshCookie(login))!
    const res = await http()
      .post('/api/auth/refresh')
      .set('Cookie', `weir_refresh=${first}`)
      .expect(200)
    expect(res.body.refresh_token).to.equal(null)
    expect(res.body.token_type).to.equal('Bearer')
    const second = valueOf(refreshCookie(res))!
    expect(second).to.match(/^wrt_/)
    expect(second).to.not.equal(first)
    await http().get('/api/auth/me').set(bearer(res.body.access_token)).expect(200)

    // The rotated-out cookie is a replay: the family ends, and the cookie is cleared.
    const replay = await http()
      .post('/api/auth/refresh')
      .set('Cookie', `weir_refresh=${first}`)
      .expect(401)
    expect(replay.body.code).to.equal('unauthorized')
    expect(valueOf(refreshCookie(replay))).to.equal('')
    await http().post('/api/auth/refresh').set('Cookie', `weir_refresh=${second}`).expect(401)
  })

  it('answers 400 naming refresh_token when neither the body nor a cookie carries one', async () => {
    const res = await http().post('/api/auth/refresh').expect(400)
    expect(res.body).to.include({ code: 'validation_failed', field: 'refresh_token' })
    expect(res.body.error).to.match(/^invalid request body: refresh_token: required/)
  })

  it('prefers a body token over the cookie', async () => {
    const a = await http().post('/api/auth/login').send(ADMIN).expect(200)
    const b = await http().post('/api/auth/login').send(ADMIN).expect(200)
    const res = await http()
      .post('/api/auth/refresh')
      .set('Cookie', `weir_refresh=${valueOf(refreshCookie(a))}`)
      .send({ refresh_token: b.body.refresh_token })
      .expect(200)
    expect(res.body.refresh_token).to.match(/^wrt_/)
    // a's token was not used, so it still refreshes.
    await http()
      .post('/api/auth/refresh')
      .set('Cookie', `weir_refresh=${valueOf(refreshCookie(a))}`)
      .expect(200)
  })

  it('clears the cookie on logout, and the session it carried ends', async () => {
    const login = await http().post('/api/auth/login').send(ADMIN).expect(200)
    const cookie = valueOf(refreshCookie(login))!
    const res = await http()
      .post('/api/auth/logout')
      .set(bearer(login.body.access_token))
      .set('Cookie', `weir_refresh=${cookie}`)
      .expect(204)
    const cleared = refreshCookie(res)!
    expect(valueOf(cleared)).to.equal('')
    expect(cleared.toLowerCase()).to.include('path=/api/auth')
    expect(cleared).to.include('Thu, 01 Jan 1970')
    await http().post('/api/auth/refresh').set('Cookie', `weir_refresh=${cookie}`).expect(401)
  })
})
