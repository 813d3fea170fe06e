import { expect } from 'chai'
import { closestMatch, didYouMean, editDistance } from '../../../src/workspace/did-you-mean.ts'

describe('did you mean', () => {
  it('counts an adjacent transposition as one edit', () => {
    expect(editDistance('biuld', 'build')).to.equal(1)
    expect(editDistance('timout', 'timeout')).to.equal(1)
    expect(editDistance('abc', 'xyz')).to.equal(3)
    expect(editDistance('', 'abc')).to.equal(3)
  })

  it('suggests the closest candidate within a small distance', () => {
    expect(closestMatch('shout-txt', ['shout-text', 'compose-greeting'])).to.equal('shout-text')
    expect(closestMatch('datetim', ['date', 'datetime'])).to.equal('datetime')
    expect(didYouMean('biuld', ['build', 'test'])).to.equal(" (did you mean 'build'?)")
  })

  it('stays quiet for unrelated or very short names', () => {
    expect(closestMatch('deploy', ['build', 'test'])).to.equal(undefined)
    expect(closestMatch('a', ['b'])).to.equal(undefined)
    expect(didYouMean('zzz', ['build'])).to.equal('')
  })
})
