/**
 * Webhook request signatures (API.md §10): the Weir scheme (`X-Weir-Timestamp` +
 * `X-Weir-Signature-256` over `<timestamp>.<raw body>`, ±300 s) and the GitHub scheme
 * (`X-Hub-Signature-256` over the raw body). Pure: the caller passes the clock reading.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

export const WEIR_TIMESTAMP_TOLERANCE_SECS = 300

/** Header names as Node delivers them (lower-case). */
export const SIGNATURE_HEADERS = {
  weirTimestamp: 'x-weir-timestamp',
  weirSignature: 'x-weir-signature-256',
  githubSignature: 'x-hub-signature-256',
} as const

export type IncomingHeaders = Readonly<Record<string, string | ReadonlyArray<string> | undefined>>

export type SignatureCheck =
  | { readonly ok: true; readonly scheme: 'weir' | 'github' }
  | { readonly ok: false; readonly reason: string }

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/
const TIMESTAMP = /^\d{1,15}$/

function header(headers: IncomingHeaders, name: string): string | undefined {
  const v = headers[name]
  if (v === undefined) return undefined
  return typeof v === 'string' ? v : v[0]
}

function hmacHex(secret: string, parts: ReadonlyArray<string | Buffer>): string {
  const mac = createHmac('sha256', secret)
  for (const p of parts) mac.update(p)
  return mac.digest('hex')
}

/**
 * Compares a received `sha256=<hex>` header with the expected hex digest in constant time.
 * A header of the wrong shape or length still runs one comparison, so timing reveals nothing
 * about how close a guess was.
 */
export function signatureMatches(received: string, expectedHex: string): boolean {
  const expected = Buffer.from(expectedHex, 'utf8')
  const m = SIGNATURE.exec(received.trim())
  const given = m ? Buffer.from(m[1]!.toLowerCase(), 'utf8') : Buffer.alloc(0)
  if (given.length !== expected.length) {
    timingSafeEqual(expected, expected)
    return false
  }
  return timingSafeEqual(given, expected)
}

function checkWeir(
  secret: string,
  headers: IncomingHeaders,
  body: Buffer,
  now: Date,
): SignatureCheck | null {
  const signature = header(headers, SIGNATURE_HEADERS.weirSignature)
  if (signature === undefined) return null
  const timestamp = header(headers, SIGNATURE_HEADERS.weirTimestamp)?.trim()
  if (timestamp === undefined || !TIMESTAMP.test(timestamp)) {
    return { ok: false, reason: 'missing or malformed X-Weir-Timestamp' }
  }
  const skew = Math.abs(now.getTime() / 1000 - Number(timestamp))
  if (skew > WEIR_TIMESTAMP_TOLERANCE_SECS) {
    return { ok: false, reason: `timestamp is ${Math.round(skew)} s away from server time` }
  }
  const expected = hmacHex(secret, [`${timestamp}.`, body])
  return signatureMatches(signature, expected)
    ? { ok: true, scheme: 'weir' }
    : { ok: false, reason: 'X-Weir-Signature-256 does not match' }
}

function checkGithub(
  secret: string,
  headers: IncomingHeaders,
  body: Buffer,
): SignatureCheck | null {
  const signature = header(headers, SIGNATURE_HEADERS.githubSignature)
  if (signature === undefined) return null
  return signatureMatches(signature, hmacHex(secret, [body]))
    ? { ok: true, scheme: 'github' }
    : { ok: false, reason: 'X-Hub-Signature-256 does not match' }
}

/**
 * Verifies a webhook request against `secret` with either scheme; a request passes when any
 * scheme it carries verifies. `reason` is for server logs only: clients get one fixed message.
 */
export function verifyWebhookSignature(req: {
  readonly secret: string
  readonly headers: IncomingHeaders
  readonly rawBody: string | Buffer
  readonly now: Date
}): SignatureCheck {
  if (req.secret === '') return { ok: false, reason: 'the trigger secret rendered empty' }
  const body = typeof req.rawBody === 'string' ? Buffer.from(req.rawBody, 'utf8') : req.rawBody
  const weir = checkWeir(req.secret, req.headers, body, req.now)
  if (weir?.ok) return weir
  const github = checkGithub(req.secret, req.headers, body)
  if (github?.ok) return github
  return weir ?? github ?? { ok: false, reason: 'no signature header' }
}

/** Signs `body` the Weir way (for clients and tests): the two headers to send. */
export function signWeir(
  secret: string,
  body: string,
  timestampSecs: number,
): { 'X-Weir-Timestamp': string; 'X-Weir-Signature-256': string } {
  const ts = String(Math.trunc(timestampSecs))
  return {
    'X-Weir-Timestamp': ts,
    'X-Weir-Signature-256': `sha256=${hmacHex(secret, [`${ts}.`, Buffer.from(body, 'utf8')])}`,
  }
}

/** Signs `body` the GitHub way: the `X-Hub-Signature-256` value. */
export function signGithub(secret: string, body: string): string {
  return `sha256=${hmacHex(secret, [Buffer.from(body, 'utf8')])}`
}
