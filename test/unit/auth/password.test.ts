import { expect } from 'chai'
import {
  DEFAULT_SCRYPT_PARAMS,
  hashPassword,
  parsePasswordHash,
  verifyNothing,
  verifyPassword,
} from '../../../src/auth/password.ts'

const FAST = { ln: 10, r: 8, p: 1 }

describe('password hashing (scrypt)', function () {
  this.timeout(10_000)

  it('hashes with the default parameters recorded in the hash, and verifies', async () => {
    const h = await hashPassword('correct horse battery staple')
    expect(h).to.match(/^scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/)
    expect(parsePasswordHash(h)?.params).to.deep.equal(DEFAULT_SCRYPT_PARAMS)
    expect(await verifyPassword('correct horse battery staple', h)).to.equal(true)
    expect(await verifyPassword('correct horse battery stapler', h)).to.equal(false)
  })

  it('salts every hash', async () => {
    const a = await hashPassword('same password', FAST)
    const b = await hashPassword('same password', FAST)
    expect(a).to.not.equal(b)
    expect(await verifyPassword('same password', a)).to.equal(true)
    expect(await verifyPassword('same password', b)).to.equal(true)
  })

  it('verifies with the parameters stored in the hash', async () => {
    const h = await hashPassword('pw-with-other-params', FAST)
    expect(h.startsWith('scrypt$ln=10,r=8,p=1$')).to.equal(true)
    expect(await verifyPassword('pw-with-other-params', h)).to.equal(true)
  })

  it('treats Unicode normalisation forms as the same password', async () => {
    const h = await hashPassword('caf\u00e9-latte', FAST)
    expect(await verifyPassword('cafe\u0301-latte', h)).to.equal(true)
  })

  it('rejects malformed or out-of-bounds hashes instead of throwing', async () => {
    expect(await verifyPassword('x', 'not-a-hash')).to.equal(false)
    expect(
      await verifyPassword(
        'x',
        'scrypt$ln=40,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      ),
    ).to.equal(false)
    expect(await verifyPassword('x', 'scrypt$ln=15,r=8,p=1$AA$AA')).to.equal(false)
    expect(parsePasswordHash('bcrypt$2b$10$abc')).to.equal(undefined)
  })

  it('refuses absurdly long passwords without hashing them', async () => {
    const h = await hashPassword('short-enough', FAST)
    expect(await verifyPassword('a'.repeat(2000), h)).to.equal(false)
  })

  it('spends a verification on unknown accounts and always says no', async () => {
    expect(await verifyNothing('anything')).to.equal(false)
  })
})
