import { expect } from 'chai'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, loadConfig, redactConfig } from '../../../src/config/load-config.ts'

const cwd = mkdtempSync(join(tmpdir(), 'weir-auth-config-'))

function load(env: Record<string, string>) {
  return loadConfig({ env, cwd }).config
}

describe('auth configuration', () => {
  it('is absent by default (every /api route open)', () => {
    expect(load({}).auth).to.equal(undefined)
  })

  it('applies the documented defaults', () => {
    const auth = load({ WEIR__AUTH__JWT_SECRET: 'a-jwt-secret-of-32-characters!!' }).auth!
    expect(auth.access_token_ttl).to.equal(900)
    expect(auth.refresh_token_ttl).to.equal(30 * 86_400)
    expect(auth.api_key_default_ttl).to.equal(90 * 86_400)
    expect(auth.login_rate_limit).to.deep.equal({ max_failures: 10, window_secs: 300 })
  })

  it('reads durations as seconds or <n><unit> groups', () => {
    const auth = load({
      WEIR__AUTH__JWT_SECRET: 'a-jwt-secret-of-32-characters!!',
      WEIR__AUTH__ACCESS_TOKEN_TTL: '5m',
      WEIR__AUTH__REFRESH_TOKEN_TTL: '1d12h',
      WEIR__AUTH__API_KEY_DEFAULT_TTL: '3600',
    }).auth!
    expect([auth.access_token_ttl, auth.refresh_token_ttl, auth.api_key_default_ttl]).to.deep.equal(
      [300, 129_600, 3600],
    )
  })

  it('needs a jwt_secret once the section exists, and reports bad durations', () => {
    try {
      load({ WEIR__AUTH__ACCESS_TOKEN_TTL: 'soon', WEIR__AUTH__REFRESH_TOKEN_TTL: '0m' })
      expect.fail('expected a ConfigError')
    } catch (e) {
      expect(e).to.be.instanceOf(ConfigError)
      const text = (e as ConfigError).issues.join('\n')
      expect(text).to.match(/auth\.jwt_secret: required when auth is configured/)
      expect(text).to.match(/auth\.access_token_ttl: expected a duration such as 15m/)
      expect(text).to.match(/auth\.refresh_token_ttl: duration must be positive/)
    }
  })

  it('masks the secrets in a config dump', () => {
    const config = load({
      WEIR__AUTH__JWT_SECRET: 'a-jwt-secret-of-32-characters!!',
      WEIR__AUTH__INITIAL_USER__EMAIL: 'admin@example.com',
      WEIR__AUTH__INITIAL_USER__PASSWORD: 'initial-password',
    })
    const text = JSON.stringify(redactConfig(config))
    expect(text).to.not.include('a-jwt-secret-of-32')
    expect(text).to.not.include('initial-password')
    expect(text).to.include('admin@example.com')
  })
})
