import { expect } from 'chai'
import { etagMatches, quoteEtag } from '../../../src/api/etag.ts'

describe('entity tags of revisions (etagMatches)', () => {
  it('quotes the revision', () => {
    expect(quoteEtag('9d2c41e')).to.equal('"9d2c41e"')
  })

  const cases: Array<[string | undefined, boolean]> = [
    [undefined, false],
    ['', false],
    ['"9d2c41e"', true],
    ['9d2c41e', true],
    ['W/"9d2c41e"', true],
    ['"other", "9d2c41e"', true],
    ['  "a" ,W/"9d2c41e"  ', true],
    ['*', true],
    ['"9d2c41"', false],
    ['"9d2c41e9"', false],
    ['"other"', false],
  ]
  for (const [header, expected] of cases) {
    it(`${expected ? 'matches' : 'does not match'} If-None-Match ${JSON.stringify(header)}`, () => {
      expect(etagMatches(header, '9d2c41e')).to.equal(expected)
    })
  }
})
