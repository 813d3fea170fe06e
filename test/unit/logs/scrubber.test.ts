import { expect } from 'chai'
import { createScrubber, secretFragments } from '../../../src/logs/scrubber.ts'

describe('scrubber', () => {
  it('masks every occurrence of a secret', () => {
    const s = createScrubber(['hunter2'])
    expect(s.scrub('pw=hunter2, again hunter2')).to.equal('pw=******, again ******')
  })

  it('prefers the longest secret when secrets overlap', () => {
    const s = createScrubber(['abc', 'abcdef'])
    expect(s.scrub('xabcdefx abcx')).to.equal('x******x ******x')
  })

  it('ignores values shorter than three characters', () => {
    const s = createScrubber(['ab', ' ', '', 'xyz'])
    expect(s.scrub('ab xyz')).to.equal('ab ******')
  })

  it('masks a multi-line secret line by line', () => {
    const s = createScrubber(['-----BEGIN KEY-----\r\nc2VjcmV0\nq'])
    expect(s.scrub('-----BEGIN KEY-----')).to.equal('******')
    expect(s.scrub('data c2VjcmV0')).to.equal('data ******')
    expect(s.scrub('q')).to.equal('q')
  })

  it('treats regular-expression characters literally', () => {
    const s = createScrubber(['a.b*c', '(x|y)'])
    expect(s.scrub('a.b*c aXbbc (x|y) x')).to.equal('****** aXbbc ****** x')
  })

  it('also masks the JSON-escaped form of a secret', () => {
    const s = createScrubber(['pa"ss\\word'])
    expect(s.scrub('{"pw":"pa\\"ss\\\\word"}')).to.equal('{"pw":"******"}')
    expect(secretFragments(['plain'])).to.deep.equal(['plain'])
  })

  it('leaves lines alone when there is nothing to mask', () => {
    expect(createScrubber([]).scrub('hello')).to.equal('hello')
  })
})
