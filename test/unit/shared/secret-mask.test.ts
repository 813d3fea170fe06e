import { expect } from 'chai'
import {
  createScrubber,
  createStreamScrubber,
  maskJsonStrings,
  maskText,
  secretFragments,
} from '../../../src/shared/secret-mask.ts'

/** Feeds `parts` through a stream scrubber and returns everything it emitted. */
function streamed(values: string[], parts: string[]): string {
  const s = createStreamScrubber(createScrubber(values))
  return parts.map((p) => s.push(p)).join('') + s.end()
}

describe('secret mask', () => {
  describe('createScrubber', () => {
    it('masks every occurrence of a secret', () => {
      const s = createScrubber(['hunter2'])
      expect(s.scrub('pw=hunter2, again hunter2')).to.equal('pw=******, again ******')
    })

    it('prefers the longest secret when secrets overlap', () => {
      const s = createScrubber(['abcd', 'abcdefgh'])
      expect(s.scrub('xabcdefghx abcdx')).to.equal('x******x ******x')
    })

    it('ignores values shorter than four characters', () => {
      const s = createScrubber(['abc', '   x', '', 'wxyz'])
      expect(s.scrub('abc x wxyz')).to.equal('abc x ******')
      expect(createScrubber(['abc']).active).to.equal(false)
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

    it('is inactive and returns the same string when there is nothing to mask', () => {
      const s = createScrubber([])
      expect(s.active).to.equal(false)
      expect(s.scrub('hello')).to.equal('hello')
    })
  })

  describe('createStreamScrubber', () => {
    const secret = 'tok-4f9a2c-secret'

    it('masks a secret split at every position between two pieces', () => {
      for (let i = 0; i <= secret.length; i++) {
        const text = `before ${secret} after`
        const cut = 'before '.length + i
        const out = streamed([secret], [text.slice(0, cut), text.slice(cut)])
        expect(out, `cut at ${i}`).to.equal('before ****** after')
      }
    })

    it('masks a secret split into three pieces at every pair of positions', () => {
      const text = `${secret}|${secret}`
      for (let i = 0; i <= text.length; i++) {
        for (let j = i; j <= text.length; j++) {
          const out = streamed([secret], [text.slice(0, i), text.slice(i, j), text.slice(j)])
          expect(out, `cuts at ${i}, ${j}`).to.equal('******|******')
        }
      }
    })

    it('emits what it can at once and holds back less than the longest secret', () => {
      const s = createStreamScrubber(createScrubber([secret, 'short-one']))
      const out = s.push('0123456789'.repeat(5) + 'tok-4f9')
      expect(out.length).to.be.at.least(50 + 7 - (secret.length - 1))
      expect(out).to.equal(('0123456789'.repeat(5) + 'tok-4f9').slice(0, out.length))
      expect(s.push('a2c-secret!') + s.end()).to.equal(
        ('0123456789'.repeat(5) + '******!').slice(out.length),
      )
    })

    it('gives the same result as masking the whole text, whatever the overlap', () => {
      const values = ['abcd', 'abcdefgh', 'cdef']
      const text = 'xxabcdefghyyabcdzzcdefabcdefg'
      const whole = createScrubber(values).scrub(text)
      for (let i = 0; i <= text.length; i++) {
        expect(streamed(values, [text.slice(0, i), text.slice(i)]), `cut at ${i}`).to.equal(whole)
      }
    })

    it('never splits a surrogate pair between emitted and held text', () => {
      const s = createStreamScrubber(createScrubber(['abcdef']))
      const out = s.push('x😀yz')
      const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
      const rest = s.end()
      for (const piece of [out, rest]) expect(lone.test(piece), piece).to.equal(false)
      expect(out + rest).to.equal('x😀yz')
    })

    it('passes text straight through when there are no secrets', () => {
      const s = createStreamScrubber(createScrubber([]))
      expect(s.push('abc')).to.equal('abc')
      expect(s.end()).to.equal('')
    })
  })

  describe('maskJsonStrings', () => {
    it('masks strings at any depth, keys included, and leaves other values alone', () => {
      const s = createScrubber(['s3cr3t-value'])
      const value = {
        token: 's3cr3t-value',
        nested: [{ note: 'is s3cr3t-value here' }, 7, true, null],
        's3cr3t-value': 'key',
      }
      expect(maskJsonStrings(value, s)).to.deep.equal({
        token: '******',
        nested: [{ note: 'is ****** here' }, 7, true, null],
        '******': 'key',
      })
    })

    it('returns the same value when there is nothing to mask', () => {
      const value = { a: 'b' }
      expect(maskJsonStrings(value, createScrubber([]))).to.equal(value)
      expect(maskText(null, createScrubber(['abcd']))).to.equal(null)
    })
  })
})
