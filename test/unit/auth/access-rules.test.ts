import { expect } from 'chai'
import {
  acceptsQueryToken,
  isApiPath,
  isPublicApiRoute,
  normalizePath,
  requiredPermission,
  roleAllows,
  type Permission,
} from '../../../src/auth/access-rules.ts'
import { ROLES, type Role } from '../../../src/shared/accounts.ts'

describe('access rules', () => {
  describe('roleAllows', () => {
    const table: ReadonlyArray<[Role, Permission[], Permission[]]> = [
      ['admin', ['read', 'operate', 'own_keys', 'self', 'admin'], []],
      ['member', ['read', 'operate', 'own_keys', 'self'], ['admin']],
      ['viewer', ['read', 'self'], ['operate', 'own_keys', 'admin']],
    ]
    for (const [role, allowed, denied] of table) {
      it(`${role}: allows ${allowed.join(', ')}${denied.length ? `; denies ${denied.join(', ')}` : ''}`, () => {
        for (const p of allowed) expect(roleAllows(role, p), p).to.equal(true)
        for (const p of denied) expect(roleAllows(role, p), p).to.equal(false)
      })
    }
    it('covers every role', () => {
      expect(table.map((t) => t[0])).to.have.members([...ROLES])
    })
  })

  describe('requiredPermission', () => {
    const cases: ReadonlyArray<[string, string, Permission]> = [
      ['GET', '/api/jobs', 'read'],
      ['GET', '/api/jobs/abc/logs', 'read'],
      ['GET', '/api/events', 'read'],
      ['HEAD', '/api/workspaces', 'read'],
      ['POST', '/api/workspaces/default/tasks/hello/execute', 'operate'],
      ['POST', '/api/workspaces/default/refresh', 'operate'],
      ['POST', '/api/jobs/abc/cancel', 'operate'],
      ['POST', '/api/jobs/abc/retry', 'operate'],
      ['POST', '/api/auth/logout', 'self'],
      ['POST', '/api/auth/api-keys', 'own_keys'],
      ['DELETE', '/api/auth/api-keys/weir_abcdefg', 'own_keys'],
      ['GET', '/api/auth/api-keys', 'read'],
      ['GET', '/api/users', 'admin'],
      ['GET', '/api/users/abc', 'admin'],
      ['POST', '/api/users', 'admin'],
      ['PUT', '/api/users/abc', 'admin'],
      ['GET', '/api/audit', 'admin'],
      ['POST', '/api/workers/abc/drain', 'admin'],
      ['DELETE', '/api/workers/abc', 'admin'],
      // A write no rule names is admin-only: a new route is never open by accident.
      ['POST', '/api/something/new', 'admin'],
      ['PATCH', '/api/jobs/abc', 'admin'],
      // Case and trailing slashes, as the router matches them.
      ['POST', '/API/Jobs/abc/CANCEL/', 'operate'],
      ['GET', '/API/USERS/', 'admin'],
      ['GET', '/api//users', 'admin'],
      // A workspace named like a route keeps its rule.
      ['POST', '/api/workspaces/refresh/tasks/cancel/execute', 'operate'],
      ['POST', '/api/workspaces/a/tasks/b/execute/extra', 'admin'],
    ]
    for (const [method, path, expected] of cases) {
      it(`${method} ${path} needs ${expected}`, () => {
        expect(requiredPermission(method, path)).to.equal(expected)
      })
    }
  })

  it('knows /api paths however they are spelled', () => {
    for (const p of [
      '/api',
      '/api/',
      '/api/jobs',
      '/API/jobs',
      '//api/jobs',
      '/%61pi/jobs',
      '/Api',
    ])
      expect(isApiPath(p), p).to.equal(true)
    for (const p of [
      '/apix',
      '/healthz',
      '/readyz',
      '/metrics',
      '/hooks/default/x',
      '/worker/claim',
      '/',
      '/%zz',
    ])
      expect(isApiPath(p), p).to.equal(false)
  })

  it('lists the public /api routes exactly', () => {
    expect(isPublicApiRoute('POST', '/api/auth/login')).to.equal(true)
    expect(isPublicApiRoute('POST', '/api/auth/refresh/')).to.equal(true)
    expect(isPublicApiRoute('POST', '/API/Auth/Login')).to.equal(true)
    expect(isPublicApiRoute('GET', '/api/openapi.json')).to.equal(true)
    expect(isPublicApiRoute('GET', '/api/auth/login')).to.equal(false)
    expect(isPublicApiRoute('POST', '/api/auth/logout')).to.equal(false)
    expect(isPublicApiRoute('GET', '/api/auth/me')).to.equal(false)
    expect(isPublicApiRoute('POST', '/api/auth/login/x')).to.equal(false)
  })

  it('takes a query token only on the streams', () => {
    expect(acceptsQueryToken('GET', '/api/events')).to.equal(true)
    expect(acceptsQueryToken('GET', '/api/jobs/abc/logs/stream')).to.equal(true)
    expect(acceptsQueryToken('GET', '/api/jobs/abc/logs')).to.equal(false)
    expect(acceptsQueryToken('GET', '/api/jobs')).to.equal(false)
    expect(acceptsQueryToken('POST', '/api/events')).to.equal(false)
  })

  it('normalises paths for matching', () => {
    expect(normalizePath('/API//Jobs/')).to.equal('/api/jobs')
    expect(normalizePath('/')).to.equal('/')
  })
})
