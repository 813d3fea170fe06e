import { expect } from 'chai'
import { bearerToken, hashSecret, secretsEqual } from '../../../src/workers/worker-credentials.ts'

describe('worker credentials', () => {
  it('compares secrets of any length without throwing', () => {
    expect(secretsEqual('enroll-token', 'enroll-token')).to.equal(true)
    expect(secretsEqual('enroll-token', 'enroll-tokem')).to.equal(false)
    expect(secretsEqual('short', 'a much longer configured token')).to.equal(false)
    expect(secretsEqual('', 'x')).to.equal(false)
  })

  it('stores a stable hex hash, never the secret', () => {
    const h = hashSecret('wks_abc')
    expect(h)
      .to.match(/^[0-9a-f]{64}$/)
      .and.equal(hashSecret('wks_abc'))
    expect(h).to.not.contain('abc')
  })

  it('reads bearer tokens and nothing else', () => {
    expect(bearerToken('Bearer wks_abc')).to.equal('wks_abc')
    expect(bearerToken('bearer   wks_abc ')).to.equal('wks_abc')
    for (const bad of [undefined, '', 'Bearer', 'Basic abc', 'Bearer a b', 'wks_abc'])
      expect(bearerToken(bad), String(bad)).to.equal(null)
  })
})
