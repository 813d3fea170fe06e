/**
 * No input gets a 5xx or hangs (API.md §1.4): for every route of the router's own table,
 * fast-check generates hostile requests (path parameters, query parameters the document names and
 * others, JSON bodies shaped like the documented request body with hostile leaves, any JSON, raw
 * non-JSON text under a JSON content type, odd content types and encodings, hostile header values)
 * and every reply must be a 2xx whose body fits the OpenAPI document, or a 4xx
 * `{"error": string, "code": string}`, within a deadline.
 *
 * Two apps: the default one (auth off, a worker enrollment token, so a registered worker's secret
 * reaches the /worker routes) walks every route; one with auth configured walks the account routes
 * (login, refresh, logout, me, API keys, users, audit) and two others, with an admin API key.
 *
 * No route is skipped. GET /api/events (SSE) never ends by design: it is read until its status and
 * headers (or an error reply) arrive, then the connection is dropped; it gets no body over 8 KiB
 * (see send). GET /api/jobs/:id/logs/stream is the WebSocket log stream; over plain HTTP it answers
 * 426, so it is fuzzed like any route.
 *
 * Deterministic: each route's property runs with seed FUZZ_SEED (default below) plus the route's
 * index; FUZZ_RUNS sets the runs per route. A failure prints the seed, the shrunk request and the
 * reply, so `FUZZ_SEED=<seed>` replays it. FUZZ_STATS=1 prints how often each route answered each
 * status (with the first words of the error), to see how deep the requests reach.
 */
import { expect } from 'chai'
import type { IncomingMessage } from 'node:http'
import { join } from 'node:path'
import fc from 'fast-check'
import supertest from 'supertest'
import {
  ADMIN,
  MEMBER,
  buildAuthTestApp,
  createApiKey,
  createUser,
  login,
} from '../../helpers/auth.ts'
import {
  createReplyChecker,
  documentPath,
  routeTable,
  type OpenApiDocument,
  type RouteEntry,
} from '../../helpers/openapi-check.ts'
import {
  EXAMPLE_WORKSPACE,
  FIXTURES,
  buildTestApp,
  execute,
  type TestApp,
} from '../../helpers/test-app.ts'

const SEED = Number(process.env.FUZZ_SEED ?? 20_260_501)
const RUNS = Number(process.env.FUZZ_RUNS ?? 50)
/** A reply slower than this is a hang (the claim long poll is capped at 0 s below). */
const DEADLINE_MS = 8000
const ENROLLMENT_TOKEN = 'fuzz-enrollment-token-0001'

type Doc = OpenApiDocument & Record<string, any>

/** Values from the running app (a job, a worker, names), so some requests reach past lookups. */
interface Known {
  values: string[]
  authorization: string[]
  /** Values for a path parameter of that name (`ws` → the workspace). */
  byParam: Record<string, string[]>
}

/** What one generated request is. */
interface FuzzRequest {
  readonly path: string
  readonly query: string
  readonly headers: ReadonlyArray<readonly [string, string]>
  readonly body: { readonly contentType: string | null; readonly text: string } | null
  readonly contentEncoding: string | null
}

// ---------------------------------------------------------------- text

const HOSTILE_TEXT = [
  '',
  '\0',
  'a\0b',
  '\uD800',
  'x\uDC00',
  '\uDBFF\uDFFF',
  '..',
  '../..',
  '.',
  ' ',
  '\t\n\r',
  'null',
  'undefined',
  'true',
  '-1',
  '0',
  '-0',
  '1.5',
  '1e309',
  'NaN',
  'Infinity',
  '9007199254740993',
  '99999999999999999999999999',
  '0x10',
  '00000000-0000-0000-0000-000000000000',
  'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
  '{}',
  '[]',
  "'; DROP TABLE jobs;--",
  '<script>alert(1)</script>',
  '{{ 7*7 }}',
  'é',
  '🙂',
  '\u202e',
  '\uFEFF',
  '\u0085',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  'a'.repeat(300),
  'b'.repeat(10_000),
  '2026-13-45T99:99:99Z',
  '1970-01-01T00:00:00Z',
]

function hostileText(known: Known): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_TEXT) },
    { weight: 3, arbitrary: fc.constantFrom(...known.values) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 30 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
    { weight: 1, arbitrary: fc.string().map((s) => `${s}\uD800${s}`) },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: fc.integer().map(String) },
    { weight: 1, arbitrary: fc.double().map(String) },
    { weight: 1, arbitrary: fc.nat({ max: 5000 }).map((n) => 'z'.repeat(n)) },
  )
}

/**
 * Percent-encodes every UTF-8 byte of `text` that is not unreserved; a lone surrogate becomes the
 * three bytes of its CESU-8 form (`%ED%A0%80`), which no decoder accepts as UTF-8.
 */
function percentEncode(text: string): string {
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    const next = text.charCodeAt(i + 1)
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += encodeURIComponent(text.slice(i, i + 2))
      i++
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('')
    } else {
      out += encodeURIComponent(text[i]!)
    }
  }
  return out
}

/** Raw URL fragments, sent as they are: bad escapes, encoded NUL and slashes, dot segments. */
const RAW_URL_TEXT = [
  '%00',
  'a%00b',
  '%',
  '%zz',
  '%E0%A4%A',
  '%ED%A0%80',
  '%C0%80',
  '%FF',
  '%2e%2e',
  '%2F',
  'a%2Fb',
  '%25',
  '%u0000',
  '..',
  ';',
  '*',
  '~',
  '+',
  'a+b',
  '%20',
]

function urlText(known: Known): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 5, arbitrary: hostileText(known).map(percentEncode) },
    { weight: 2, arbitrary: fc.constantFrom(...RAW_URL_TEXT) },
  )
}

// ---------------------------------------------------------------- path and query

function pathArb(pattern: string, known: Known): fc.Arbitrary<string> {
  const parts = pattern.split('/').map((segment): fc.Arbitrary<string> => {
    if (segment.startsWith('*'))
      return fc.array(urlText(known), { minLength: 1, maxLength: 3 }).map((s) => s.join('/'))
    if (segment.startsWith(':')) return urlText(known)
    return fc.constant(segment)
  })
  return fc.tuple(...parts).map((p) => p.join('/'))
}

function plausiblePathArb(pattern: string, known: Known): fc.Arbitrary<string> {
  const parts = pattern.split('/').map((segment): fc.Arbitrary<string> => {
    if (segment.startsWith(':') || segment.startsWith('*')) {
      const mine = known.byParam[segment.slice(1)] ?? []
      const text =
        mine.length > 0
          ? fc.oneof(
              { weight: 4, arbitrary: fc.constantFrom(...mine) },
              { weight: 1, arbitrary: plausibleText(known) },
            )
          : plausibleText(known)
      return text.map(percentEncode)
    }
    return fc.constant(segment)
  })
  return fc.tuple(...parts).map((p) => p.join('/'))
}

function queryArb(names: string[], known: Known): fc.Arbitrary<string> {
  const name = fc.oneof(
    { weight: 4, arbitrary: names.length > 0 ? fc.constantFrom(...names) : urlText(known) },
    { weight: 1, arbitrary: urlText(known) },
    { weight: 1, arbitrary: fc.constantFrom('a[]', 'a[b]', '__proto__', 'constructor') },
  )
  const pair = fc.tuple(name, fc.option(urlText(known), { nil: null, freq: 6 }))
  return fc
    .array(pair, { maxLength: 6 })
    .map((pairs) => pairs.map(([k, v]) => (v === null ? k : `${k}=${v}`)).join('&'))
}

// ---------------------------------------------------------------- headers

/** Header text Node lets a client send: tab, printable ASCII and Latin-1 above 0x7f. */
const headerText = fc.oneof(
  fc.string({
    unit: fc
      .integer({ min: 0x20, max: 0xff })
      .filter((c) => c !== 0x7f)
      .map((c) => String.fromCharCode(c)),
    maxLength: 60,
  }),
  fc.constantFrom('', ' ', '\t', 'ÿÿÿ', 'é', '%00', 'x'.repeat(4000)),
)

function headersArb(known: Known): fc.Arbitrary<Array<readonly [string, string]>> {
  const auth = fc.oneof(
    fc.constantFrom(...known.authorization),
    headerText.map((s) => `Bearer ${s}`),
    fc.constantFrom('Bearer', 'Bearer ', 'Basic Zm9vOmJhcg==', 'Bearer a.b.c', 'bearer x y z'),
    headerText,
  )
  const range = fc.oneof(
    fc.constantFrom(
      'bytes=0-',
      'bytes=-5',
      'bytes=5-1',
      'bytes=0-0',
      'bytes=99999999999999999999-',
      'bytes=0-1,2-3',
      'bytes=abc',
      'bytes=-0',
      'items=0-1',
    ),
    headerText,
  )
  const one = fc.oneof(
    fc.tuple(fc.constant('Authorization'), auth),
    fc.tuple(fc.constant('Range'), range),
    fc.tuple(
      fc.constantFrom(
        'X-Request-Id',
        'X-Lease-Token',
        'Idempotency-Key',
        'Last-Event-ID',
        'Cookie',
        'Accept',
        'Accept-Encoding',
        'If-None-Match',
        'X-Hub-Signature-256',
        'X-Hub-Signature',
        'X-Weir-Signature-256',
        'X-Weir-Timestamp',
        'X-GitHub-Delivery',
        'X-Forwarded-For',
        'Origin',
      ),
      fc.oneof(headerText, fc.constantFrom(...known.values.filter(isHeaderSafe))),
    ),
  )
  return fc.array(one, { maxLength: 4 })
}

function isHeaderSafe(s: string): boolean {
  return /^[\t\x20-\x7e\x80-\xff]*$/.test(s)
}

// ---------------------------------------------------------------- bodies

function hostileLeaf(known: Known): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: hostileText(known) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        0,
        -1,
        1.5,
        -0,
        2 ** 31,
        2 ** 53 + 2,
        -(2 ** 63),
        1e308,
        -1e308,
        5e-324,
        true,
        false,
        null,
      ),
    },
    { weight: 1, arbitrary: fc.integer() },
    { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
    { weight: 1, arbitrary: fc.constantFrom([], {}, [null], { '': null }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  )
}

function plausibleText(known: Known): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...known.values) },
    { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) },
    { weight: 1, arbitrary: fc.nat({ max: 50 }).map(String) },
  )
}

function plausibleLeaf(known: Known): fc.Arbitrary<unknown> {
  return fc.oneof(plausibleText(known), fc.nat({ max: 50 }), fc.boolean())
}

/**
 * Values shaped like a JSON Schema (its property names, required keys and types): plausible
 * leaves, so a request gets past validation, or hostile ones and unknown keys.
 */
function shapedArb(
  schema: any,
  ctx: { doc: Doc; known: Known; hostile: boolean },
  depth = 0,
): fc.Arbitrary<unknown> {
  const { doc, known, hostile } = ctx
  const leaf = hostile ? hostileLeaf(known) : plausibleLeaf(known)
  if (!schema || typeof schema !== 'object' || depth > 4) return leaf
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.split('/').pop() as string
    return shapedArb((doc.components as any).schemas?.[name], ctx, depth + 1)
  }
  const alternatives = schema.anyOf ?? schema.oneOf
  if (Array.isArray(alternatives) && alternatives.length > 0)
    return fc.oneof(...alternatives.map((s: unknown) => shapedArb(s, ctx, depth + 1)))
  let shaped: fc.Arbitrary<unknown> | null = null
  if (Array.isArray(schema.enum) && schema.enum.length > 0) shaped = fc.constantFrom(...schema.enum)
  else if (schema.const !== undefined) shaped = fc.constant(schema.const)
  else if (schema.type === 'object' || schema.properties) {
    const properties = (schema.properties ?? {}) as Record<string, unknown>
    const props = Object.fromEntries(
      Object.entries(properties).map(([k, s]) => [k, shapedArb(s, ctx, depth + 1)]),
    )
    const required = ((schema.required ?? []) as string[]).filter((k) => k in properties)
    const base = fc.record(props, { requiredKeys: hostile ? [] : required })
    const extra = fc.dictionary(hostileText(known), leaf, { maxKeys: 2 })
    shaped = hostile
      ? fc
          .tuple(base, fc.option(extra, { freq: 4 }))
          .map(([b, e]) => (e === null ? b : { ...e, ...b }))
      : base
  } else if (schema.type === 'array') {
    shaped = fc.array(shapedArb(schema.items, ctx, depth + 1), { maxLength: 4 })
  } else if (schema.type === 'string') shaped = hostile ? hostileText(known) : plausibleText(known)
  else if (schema.type === 'integer' || schema.type === 'number')
    shaped = hostile
      ? fc.oneof(
          fc.integer({ min: -5, max: 100 }),
          fc.constantFrom(-1, 0, 1.5, 2 ** 31, 2 ** 53 + 2, 1e308),
        )
      : fc.integer({ min: 0, max: 60 })
  else if (schema.type === 'boolean') shaped = fc.boolean()
  if (!shaped) return leaf
  if (!hostile) return shaped
  return fc.oneof({ weight: 4, arbitrary: shaped }, { weight: 1, arbitrary: leaf })
}

const RAW_BODIES = [
  '',
  '{',
  '}',
  '[',
  '{"a":',
  'nul',
  'NaN',
  'undefined',
  "{'a': 1}",
  '{"a":1}garbage',
  '\uFEFF{}',
  '\0',
  '"\\ud800"',
  '"\\u0000"',
  '{"\\u0000": 1}',
  '{"__proto__": {"polluted": true}}',
  '{"constructor": {"prototype": {"x": 1}}}',
  '1e99999',
  '-',
  '0x10',
  '{"a":1,"a":2}',
  'true',
  '"string"',
  '12',
  'null',
  '<xml/>',
  'a=1&b=2',
]

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json; charset=bogus',
  'application/merge-patch+json',
  'application/vnd.api+json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'text/plain',
  'application/octet-stream',
  'application/gzip',
  '*/*',
  'json',
  '',
]

function bodyArb(schema: unknown, doc: Doc, known: Known): fc.Arbitrary<FuzzRequest['body']> {
  const jsonType = fc.oneof(
    { weight: 8, arbitrary: fc.constant('application/json') },
    { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
    { weight: 1, arbitrary: headerText },
  )
  const json = (value: fc.Arbitrary<unknown>) =>
    fc.tuple(jsonType, value).map(([contentType, v]) => ({
      contentType,
      text: JSON.stringify(v) ?? 'null',
    }))
  const nesting = fc.tuple(fc.constantFrom(50, 2000, 100_000), fc.boolean()).map(([n, arr]) => ({
    contentType: 'application/json',
    text: arr ? '['.repeat(n) + ']'.repeat(n) : '{"a":'.repeat(n) + '1' + '}'.repeat(n),
  }))
  const huge = fc.constantFrom(200_000, 1_100_000).map((n) => ({
    contentType: 'application/json',
    text: JSON.stringify({ input: 'h'.repeat(n) }),
  }))
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(null) },
    { weight: 8, arbitrary: json(shapedArb(schema, { doc, known, hostile: true })) },
    { weight: 2, arbitrary: json(fc.jsonValue()) },
    { weight: 1, arbitrary: json(fc.anything({ maxDepth: 3 })) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(jsonType, fc.oneof(fc.constantFrom(...RAW_BODIES), fc.string({ unit: 'binary' })))
        .map(([contentType, text]) => ({ contentType, text })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.option(fc.constantFrom(...CONTENT_TYPES), { nil: null }), fc.string())
        .map(([contentType, text]) => ({ contentType, text })),
    },
    { weight: 1, arbitrary: nesting },
    { weight: 1, arbitrary: huge },
  )
}

// ---------------------------------------------------------------- requests

interface QueryParameter {
  readonly name: string
  readonly in: string
  readonly schema?: { enum?: unknown[] }
}

/** Query parameters the document names, with values a client could mean. */
function plausibleQueryArb(params: QueryParameter[], known: Known): fc.Arbitrary<string> {
  if (params.length === 0) return fc.constant('')
  const pair = fc
    .constantFrom(...params)
    .chain((p) =>
      fc
        .oneof(
          p.schema?.enum?.length
            ? fc.constantFrom(...p.schema.enum.map(String))
            : plausibleText(known),
          fc.nat({ max: 100 }).map(String),
          fc.constantFrom('2026-01-01T00:00:00Z', 'true'),
        )
        .map((v) => `${p.name}=${percentEncode(v)}`),
    )
  return fc.array(pair, { maxLength: 3 }).map((pairs) => pairs.join('&'))
}

/**
 * One request: most runs make one part hostile (the path, the query, the headers or the body)
 * and keep the others plausible, so the hostile part reaches past the checks of the others;
 * some runs make every part hostile.
 */
function requestArb(route: RouteEntry, doc: Doc, known: Known): fc.Arbitrary<FuzzRequest> {
  const op = doc.paths[documentPath(route.pattern)]?.[route.method.toLowerCase()] ?? {}
  const params = ((op.parameters ?? []) as QueryParameter[]).filter((p) => p.in === 'query')
  const schema = op.requestBody?.content?.['application/json']?.schema
  const plausibleBody: fc.Arbitrary<FuzzRequest['body']> =
    schema === undefined
      ? fc.constant(null)
      : shapedArb(schema, { doc, known, hostile: false }).map((v) => ({
          contentType: 'application/json',
          text: JSON.stringify(v) ?? 'null',
        }))
  const plausibleHeaders = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...known.authorization) },
    { weight: 1, arbitrary: fc.constant(null) },
  )
  return fc
    .record({
      focus: fc.constantFrom('path', 'query', 'headers', 'body', 'all'),
      path: fc.tuple(pathArb(route.pattern, known), plausiblePathArb(route.pattern, known)),
      query: fc.tuple(
        queryArb(
          params.map((p) => p.name),
          known,
        ),
        plausibleQueryArb(params, known),
      ),
      headers: fc.tuple(headersArb(known), plausibleHeaders),
      body: fc.tuple(bodyArb(schema, doc, known), plausibleBody),
      contentEncoding: fc.option(fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'bogus'), {
        nil: null,
        freq: 8,
      }),
    })
    .map((g): FuzzRequest => {
      const hostile = (part: string) => g.focus === part || g.focus === 'all'
      const auth = g.headers[1]
      return {
        path: hostile('path') ? g.path[0] : g.path[1],
        query: hostile('query') ? g.query[0] : g.query[1],
        headers: hostile('headers') ? g.headers[0] : auth === null ? [] : [['Authorization', auth]],
        body: hostile('body') ? g.body[0] : g.body[1],
        contentEncoding: hostile('body') ? g.contentEncoding : null,
      }
    })
}

interface Reply {
  readonly status: number
  readonly type: string
  readonly body: unknown
}

function describeRequest(route: RouteEntry, r: FuzzRequest): string {
  const body = r.body
    ? ` [${r.body.contentType ?? 'no type'}] ${JSON.stringify(r.body.text.slice(0, 300))}${r.body.text.length > 300 ? `… (${r.body.text.length} chars)` : ''}`
    : ''
  return `${route.method} ${r.path}${r.query ? `?${r.query}` : ''} ${JSON.stringify(r.headers)}${r.contentEncoding ? ` Content-Encoding: ${r.contentEncoding}` : ''}${body}`
}

/** Sends one request; an SSE stream is read until its head (or a whole error reply), then dropped. */
async function send(app: TestApp, route: RouteEntry, r: FuzzRequest): Promise<Reply> {
  const url = `${r.path}${r.query ? `?${r.query}` : ''}`
  const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete'
  let req = supertest(app.app.api.callback())[method](url).timeout({ deadline: DEADLINE_MS })
  for (const [name, value] of r.headers) req = req.set(name, value)
  if (r.contentEncoding) req = req.set('Content-Encoding', r.contentEncoding)
  if (route.pattern === '/api/events') {
    req = req.buffer(false).parse((raw, done) => {
      // superagent hands a custom parser the Node response itself.
      const res = raw as unknown as IncomingMessage
      const chunks: Buffer[] = []
      if ((res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
        res.destroy()
        done(null, null)
        return
      }
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => done(null, parseJson(Buffer.concat(chunks).toString('utf8'))))
    })
  }
  // The stream's route never reads a body (none is parsed on a GET): one larger than the socket
  // buffers would stall the upload while the stream stays open.
  if (r.body && !(route.pattern === '/api/events' && r.body.text.length > 8192)) {
    // superagent sends a string as it is once a type is set, and a Buffer as it is with none
    // (a Buffer under a JSON type it would serialize as {"type":"Buffer",…}).
    if (r.body.contentType === null) req = req.send(Buffer.from(r.body.text, 'utf8'))
    else req = req.set('Content-Type', r.body.contentType).send(r.body.text)
  }
  const res = await req.ok(() => true)
  const type = String(res.headers['content-type'] ?? '')
  const body: unknown =
    route.pattern === '/api/events'
      ? res.body
      : type.startsWith('application/json')
        ? parseJson(res.text)
        : res.text
  return { status: res.status, type, body }
}

const stats: string[] = []
after(() => {
  if (!process.env.FUZZ_STATS) return
  const counts = new Map<string, number>()
  for (const s of stats) counts.set(s, (counts.get(s) ?? 0) + 1)
  for (const [k, n] of [...counts].sort()) process.stdout.write(`${k} x${n}\n`)
})

/** The route the router serves for this method and path, if any. */
function servedRoute(t: TestApp, method: string, path: string): RouteEntry | undefined {
  const layer = t.app.router.match(path, method).pathAndMethod.find((l) => l.methods.length > 0)
  return layer ? { method, pattern: String(layer.path) } : undefined
}

/**
 * Whether the request head passes Node's 16 KiB limit: Node's HTTP parser then answers 431 with
 * no body before any middleware runs, which no route can change.
 */
function headTooLarge(r: FuzzRequest): boolean {
  const size =
    r.path.length + r.query.length + r.headers.reduce((n, [k, v]) => n + k.length + v.length + 4, 0)
  return size > 16 * 1024 - 512
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

function replyProblems(
  route: RouteEntry,
  reply: Reply,
  checker: ReturnType<typeof createReplyChecker>,
): string[] {
  const { status, body } = reply
  if (status >= 200 && status < 300) {
    if (route.pattern === '/api/events') return []
    if (!checker.isJson(route.method, route.pattern, status)) return []
    return checker.check(route.method, route.pattern, status, body)
  }
  if (status >= 400 && status < 500) {
    const b = body as { error?: unknown; code?: unknown } | null
    if (typeof b !== 'object' || b === null) return [`a ${status} without a JSON body`]
    if (typeof b.error !== 'string' || typeof b.code !== 'string')
      return [`a ${status} whose body is not {"error": string, "code": string}`]
    return []
  }
  return [`status ${status}`]
}

async function fuzzRoute(
  t: TestApp,
  route: RouteEntry,
  index: number,
  ctx: { doc: Doc; known: Known; checker: ReturnType<typeof createReplyChecker> },
): Promise<void> {
  const seed = SEED + index
  await fc.assert(
    fc.asyncProperty(requestArb(route, ctx.doc, ctx.known), async (r) => {
      let reply: Reply
      try {
        reply = await send(t, route, r)
      } catch (e) {
        throw new Error(`no reply (${(e as Error).message}) to ${describeRequest(route, r)}`, {
          cause: e,
        })
      }
      // A path with an empty parameter can match another route (`/api/jobs/` is GET /api/jobs).
      const served = servedRoute(t, route.method, r.path) ?? route
      const problems =
        headTooLarge(r) && reply.status === 431 ? [] : replyProblems(served, reply, ctx.checker)
      if (process.env.FUZZ_STATS)
        stats.push(
          `${route.method} ${route.pattern} ${reply.status} ${reply.status >= 400 ? String((reply.body as { code?: string })?.code) + ' ' + String((reply.body as { error?: string })?.error).slice(0, 80) : ''}`,
        )
      if (problems.length > 0)
        throw new Error(
          `${problems.join('; ')} for ${describeRequest(route, r)}: ${JSON.stringify(reply.body).slice(0, 500)} (seed ${seed})`,
        )
    }),
    {
      seed,
      numRuns: RUNS,
      // A route still busy after this is hanging somewhere, even if each request met its deadline.
      interruptAfterTimeLimit: 20_000,
      markInterruptAsFailure: true,
      includeErrorInReport: true,
    },
  )
}

/** Fuzzes each route in turn; returns the failure of every route that has one. */
async function fuzzRoutes(
  t: TestApp,
  routes: RouteEntry[],
  firstIndex: number,
  ctx: {
    doc: Doc
    checker: ReturnType<typeof createReplyChecker>
    /** Values that exist right now: a route fuzzed before may have deleted the last ones. */
    known: () => Promise<Known>
  },
): Promise<string[]> {
  const failures: string[] = []
  for (const [i, route] of routes.entries()) {
    try {
      await fuzzRoute(t, route, firstIndex + i, { ...ctx, known: await ctx.known() })
    } catch (e) {
      failures.push(`${route.method} ${route.pattern}: ${(e as Error).message}`)
    }
  }
  return failures
}

function assertNone(failures: string[]): void {
  if (failures.length > 0)
    throw new Error(`${failures.length} route(s) failed:\n\n${failures.join('\n\n')}`)
}

// ---------------------------------------------------------------- suites

async function documentOf(t: TestApp): Promise<Doc> {
  const res = await t.request().get('/api/openapi.json').expect(200)
  return res.body as Doc
}

describe('fuzzing every route: no 5xx, no hang', function () {
  let t: TestApp
  let doc: Doc
  let checker: ReturnType<typeof createReplyChecker>
  let jobId: string
  const routes: RouteEntry[] = []

  before(async function () {
    this.timeout(30_000)
    t = await buildTestApp({
      worker: false,
      workspaces: { default: EXAMPLE_WORKSPACE, hooks: join(FIXTURES, '../webhooks') },
      env: {
        WEIR__WORKER_TOKEN: ENROLLMENT_TOKEN,
        // A claim answers at once instead of holding its long poll (wait_secs is capped to 0).
        WEIR__WORKERS__MAX_CLAIM_WAIT_SECS: '0',
      },
    })
    doc = await documentOf(t)
    checker = createReplyChecker(doc)
    routes.push(...routeTable(t.app.router))
    jobId = await execute(t, 'hello-world', { name: 'fuzz' })
  })
  after(async () => {
    await t?.close()
  })

  /** A fresh worker for each route (DELETE /api/workers/:id may have removed the last). */
  async function known(): Promise<Known> {
    const reg = await t
      .request()
      .post('/worker/register')
      .set('Authorization', `Bearer ${ENROLLMENT_TOKEN}`)
      .send({ name: 'fuzz-worker', capabilities: ['script'], tags: [], max_concurrency: 2 })
      .expect(201)
    const { worker_id: workerId, worker_secret: secret } = reg.body as Record<string, string>
    const steps = ['build-greeting', 'shout-greeting']
    return {
      values: ['default', 'hello-world', jobId, workerId!, 'nightly-hello', ...steps],
      authorization: [`Bearer ${secret}`, `Bearer ${ENROLLMENT_TOKEN}`],
      byParam: {
        ws: ['default', 'hooks'],
        task: ['hello-world', 'release', 'deploy'],
        trigger: ['nightly-hello', 'open', 'signed', 'off'],
        id: [jobId, workerId!],
        jobId: [jobId],
        step: steps,
        name: ['nightly-hello', 'out.txt'],
        scope: ['task', 'workspace'],
      },
    }
  }

  it('walks a route table of every method', () => {
    expect(routes.length).to.be.greaterThan(50)
    expect(new Set(routes.map((r) => r.method))).to.include.members(['GET', 'POST', 'DELETE'])
  })

  it('answers every hostile request to every route with a 2xx or a 4xx error body', async function () {
    // 50 requests a route, some with large bodies: about 20 s on 2 cores (both databases).
    this.timeout(90_000 * Math.max(1, RUNS / 50))
    assertNone(await fuzzRoutes(t, routes, 0, { doc, known, checker }))
  })
})

describe('fuzzing the account routes with auth on: no 5xx, no hang', function () {
  let t: TestApp
  let doc: Doc
  let checker: ReturnType<typeof createReplyChecker>
  let values: Known

  before(async function () {
    this.timeout(30_000)
    t = await buildAuthTestApp({ worker: false })
    doc = await documentOf(t)
    checker = createReplyChecker(doc)
    const admin = await login(t, ADMIN.email, ADMIN.password)
    // An API key and another user: the fuzzer never learns the admin's id or the key's prefix,
    // so it cannot lock itself out (fuzzed logins soon hit the login rate limit too).
    const key = await createApiKey(t, admin.access_token, 'fuzz')
    const memberId = await createUser(t, admin.access_token, MEMBER)
    values = {
      values: [ADMIN.email, MEMBER.email, memberId, 'wrk_', 'fuzz'],
      authorization: [
        `Bearer ${key}`,
        `Bearer ${admin.access_token}`,
        `Bearer ${admin.refresh_token}`,
      ],
      byParam: { id: [memberId], prefix: ['wrk_'] },
    }
  })
  after(async () => {
    await t?.close()
  })

  it('answers every hostile request with a 2xx or a 4xx error body', async function () {
    this.timeout(60_000 * Math.max(1, RUNS / 50))
    const routes = routeTable(t.app.router).filter((r) =>
      /^\/api\/(auth|users|audit|jobs$|workspaces$)/.test(r.pattern),
    )
    expect(routes.length).to.be.greaterThan(10)
    assertNone(await fuzzRoutes(t, routes, 1000, { doc, known: async () => values, checker }))
  })
})
