import { createHmac } from 'node:crypto'
import { expect } from 'chai'
import {
  signGithub,
  signWeir,
  signatureMatches,
  verifyWebhookSignature,
} from '../../../src/api/webhook-signature.ts'

const SECRET = 'k3y'
const BODY = '{"service":"api","replicas":3}'
const NOW = new Date('2026-03-02T10:00:00.000Z')
const NOW_SECS = NOW.getTime() / 1000

function weirHeaders(body: string, ts: number, secret = SECRET): Record<string, string> {
  const h = signWeir(secret, body, ts)
  return {
    'x-weir-timestamp': h['X-Weir-Timestamp'],
    'x-weir-signature-256': h['X-Weir-Signature-256'],
  }
}

function verify(headers: Record<string, string>, rawBody: string = BODY) {
  return verifyWebhookSignature({ secret: SECRET, headers, rawBody, now: NOW })
}

describe('webhook signatures', () => {
  it('signs <timestamp>.<raw body> with lowercase hex for the Weir scheme', () => {
    const expected = createHmac('sha256', SECRET).update(`${NOW_SECS}.${BODY}`).digest('hex')
    expect(weirHeaders(BODY, NOW_SECS)['x-weir-signature-256']).to.equal(`sha256=${expected}`)
  })

  it('accepts a valid Weir signature', () => {
    expect(verify(weirHeaders(BODY, NOW_SECS))).to.deep.equal({ ok: true, scheme: 'weir' })
  })

  it('accepts a Weir timestamp at the edge of the ±300 s window', () => {
    expect(verify(weirHeaders(BODY, NOW_SECS - 300)).ok).to.equal(true)
    expect(verify(weirHeaders(BODY, NOW_SECS + 300)).ok).to.equal(true)
  })

  it('rejects a Weir timestamp outside the window, even when correctly signed', () => {
    const stale = verify(weirHeaders(BODY, NOW_SECS - 301))
    expect(stale.ok).to.equal(false)
    expect(verify(weirHeaders(BODY, NOW_SECS + 301)).ok).to.equal(false)
  })

  it('rejects a Weir signature over another body or with another key', () => {
    expect(verify(weirHeaders(BODY, NOW_SECS), BODY + ' ').ok).to.equal(false)
    expect(verify(weirHeaders(BODY, NOW_SECS, 'other')).ok).to.equal(false)
  })

  it('rejects a Weir signature whose timestamp header was changed', () => {
    const h = weirHeaders(BODY, NOW_SECS)
    expect(verify({ ...h, 'x-weir-timestamp': String(NOW_SECS + 1) }).ok).to.equal(false)
  })

  it('rejects a Weir signature without or with a malformed timestamp', () => {
    const h = weirHeaders(BODY, NOW_SECS)
    expect(verify({ 'x-weir-signature-256': h['x-weir-signature-256']! }).ok).to.equal(false)
    expect(verify({ ...h, 'x-weir-timestamp': '17e8' }).ok).to.equal(false)
  })

  it('accepts a valid GitHub signature over the raw body', () => {
    expect(verify({ 'x-hub-signature-256': signGithub(SECRET, BODY) })).to.deep.equal({
      ok: true,
      scheme: 'github',
    })
  })

  it('rejects a GitHub signature over another body', () => {
    expect(verify({ 'x-hub-signature-256': signGithub(SECRET, '{}') }).ok).to.equal(false)
  })

  it('rejects a request without any signature header', () => {
    expect(verify({})).to.deep.equal({ ok: false, reason: 'no signature header' })
  })

  it('accepts when either carried scheme verifies', () => {
    const headers = {
      'x-weir-signature-256': 'sha256=' + '0'.repeat(64),
      'x-weir-timestamp': String(NOW_SECS),
      'x-hub-signature-256': signGithub(SECRET, BODY),
    }
    expect(verify(headers)).to.deep.equal({ ok: true, scheme: 'github' })
  })

  it('refuses everything when the secret is empty', () => {
    const r = verifyWebhookSignature({
      secret: '',
      headers: { 'x-hub-signature-256': signGithub('', BODY) },
      rawBody: BODY,
      now: NOW,
    })
    expect(r.ok).to.equal(false)
  })

  it('verifies a raw body given as bytes the same as text', () => {
    const r = verifyWebhookSignature({
      secret: SECRET,
      headers: { 'x-hub-signature-256': signGithub(SECRET, 'æøå') },
      rawBody: Buffer.from('æøå', 'utf8'),
      now: NOW,
    })
    expect(r.ok).to.equal(true)
  })

  describe('signatureMatches (constant-time path)', () => {
    const hex = createHmac('sha256', SECRET).update(BODY).digest('hex')

    it('matches the exact value and ignores hex case', () => {
      expect(signatureMatches(`sha256=${hex}`, hex)).to.equal(true)
      expect(signatureMatches(`sha256=${hex.toUpperCase()}`, hex)).to.equal(true)
    })

    it('returns false without throwing for values of a different length', () => {
      expect(signatureMatches(`sha256=${hex.slice(0, 10)}`, hex)).to.equal(false)
      expect(signatureMatches(`sha256=${hex}00`, hex)).to.equal(false)
      expect(signatureMatches('', hex)).to.equal(false)
    })

    it('returns false for a wrong prefix or non-hex characters', () => {
      expect(signatureMatches(`sha1=${hex}`, hex)).to.equal(false)
      expect(signatureMatches(`sha256=${'z'.repeat(64)}`, hex)).to.equal(false)
      expect(signatureMatches(hex, hex)).to.equal(false)
    })

    it('returns false for a same-length value that differs in the last character', () => {
      const last = hex.endsWith('0') ? '1' : '0'
      expect(signatureMatches(`sha256=${hex.slice(0, -1)}${last}`, hex)).to.equal(false)
    })
  })
})
