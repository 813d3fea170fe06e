/**
 * Builds the OpenAPI 3.1 document from the operation tables: every query and body schema is the
 * zod schema the route validates with, converted by zod's own `z.toJSONSchema` (the request side
 * of a schema with transforms, the reply side of a DTO), so the document says what the server
 * checks. Pure: the same tables give the same document.
 */
import { z } from 'zod'
import { ERROR_CODES } from '../../shared/errors.ts'
import type { Access, OperationSpec, ReplyHeader, ReplySpec } from './operation-spec.ts'

type Json = Record<string, unknown>

/** The error envelope of API.md §1.4. */
export const errorReply = z.object({
  error: z.string().meta({ description: 'What is wrong, and where' }),
  code: z.enum(ERROR_CODES),
  field: z.string().optional().meta({ description: 'The first offending field, when one is' }),
})

const HEADERS: Readonly<Record<ReplyHeader, Json>> = {
  'X-Total-Count': {
    description: 'Rows matching the filter (exact up to 10,000; see X-Total-Count-Estimated)',
    schema: { type: 'integer' },
  },
  'X-Total-Count-Estimated': {
    description: "true when X-Total-Count is the database's estimate",
    schema: { type: 'string', enum: ['true'] },
  },
  'X-Next-Cursor': {
    description: 'Pass as ?cursor= for the next page (sent when the page is full)',
    schema: { type: 'string' },
  },
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } },
  'Content-Range': { description: 'The bytes sent, of the whole', schema: { type: 'string' } },
  'Content-Disposition': {
    description: 'inline or attachment, with the file name',
    schema: { type: 'string' },
  },
  ETag: { description: 'The quoted revision of the content', schema: { type: 'string' } },
}

const SECURITY: Readonly<Record<Access, Json[]>> = {
  public: [],
  user: [{ bearer: [] }, {}],
  admin: [{ bearer: [] }, {}],
  worker: [{ workerSecret: [] }],
  enrollment: [{ enrollmentToken: [] }],
  webhook: [{}],
  metrics: [{ bearer: [] }, {}],
}

const ACCESS_NOTES: Readonly<Record<Access, string>> = {
  public: 'Public.',
  user: 'With `auth` configured: a bearer token (access token or API key) of a role allowed to call it.',
  admin: 'With `auth` configured: an admin bearer token.',
  worker: 'The worker secret from /worker/register.',
  enrollment: 'An enrollment token (`worker_token` or one from `weir worker-token create`).',
  webhook:
    "The trigger's secret: an HMAC signature (API.md §10) or, for Strøm-style triggers, ?secret= or a bearer token.",
  metrics:
    'Public without `auth` and `metrics.token`; otherwise a bearer token: the metrics token or an admin key.',
}

/** A JSON Schema of `schema` in OpenAPI 3.1's dialect (2020-12), without its `$schema` line. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const out = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as Json
  delete out.$schema
  return out
}

/** `/api/jobs/:id/artifacts/*name` → `/api/jobs/{id}/artifacts/{name}`, and the names. */
export function openApiPath(pattern: string): { path: string; params: string[] } {
  const params: string[] = []
  const path = pattern.replace(/[:*](\w+)/g, (_m, name: string) => {
    params.push(name)
    return `{${name}}`
  })
  return { path, params }
}

interface Components {
  readonly byName: ReadonlyArray<readonly [string, z.ZodType]>
}

/** A reference to a named component, an array of one, or the schema inline. */
function replySchema(schema: z.ZodType, components: Components): Json {
  const named = (s: z.ZodType) => components.byName.find(([, c]) => c === s)?.[0]
  const name = named(schema)
  if (name) return { $ref: `#/components/schemas/${name}` }
  if (schema instanceof z.ZodArray) {
    const item = named(schema.element as z.ZodType)
    if (item) return { type: 'array', items: { $ref: `#/components/schemas/${item}` } }
  }
  return jsonSchema(schema, 'output')
}

function reply(spec: ReplySpec, components: Components): Json {
  const out: Json = { description: spec.description }
  if (spec.headers?.length)
    out.headers = Object.fromEntries(spec.headers.map((h) => [h, HEADERS[h]]))
  if (spec.schema)
    out.content = { 'application/json': { schema: replySchema(spec.schema, components) } }
  else if (spec.contentType) out.content = { [spec.contentType]: { schema: {} } }
  return out
}

const ERROR_REF = { $ref: '#/components/schemas/Error' }

function operation(op: OperationSpec, components: Components): Json {
  const { params } = openApiPath(op.path)
  const parameters: Json[] = params.map((name) => ({
    name,
    in: 'path',
    required: true,
    description: op.params?.[name] ?? name,
    schema: { type: 'string' },
  }))
  const headerNames = new Set((op.headers ?? []).map((h) => h.name))
  if (op.query) {
    const q = jsonSchema(op.query, 'input')
    const required = new Set((q.required as string[] | undefined) ?? [])
    const props = (q.properties ?? {}) as Record<string, Json>
    for (const [name, schema] of Object.entries(props)) {
      if (headerNames.has(name)) continue
      const { description, ...rest } = schema
      parameters.push({
        name,
        in: 'query',
        required: required.has(name),
        ...(description !== undefined ? { description } : {}),
        schema: rest,
      })
    }
  }
  for (const h of op.headers ?? [])
    parameters.push({
      name: h.name,
      in: 'header',
      required: h.required ?? false,
      description: h.description,
      schema: { type: 'string' },
    })
  const replies: Json = {}
  for (const [status, spec] of Object.entries(op.replies)) replies[status] = reply(spec, components)
  replies['4XX'] ??= {
    description: 'A bad request (every field at fault is named), unknown id, conflict, …',
    content: { 'application/json': { schema: ERROR_REF } },
  }
  replies['503'] ??= {
    description: 'The database cannot be reached right now (code `unavailable`): retry later',
    headers: { 'Retry-After': HEADERS['Retry-After'] },
    content: { 'application/json': { schema: ERROR_REF } },
  }
  const out: Json = {
    operationId: operationId(op),
    summary: op.summary,
    description: [op.description, ACCESS_NOTES[op.access]].filter(Boolean).join('\n\n'),
    tags: [op.tag],
    security: SECURITY[op.access],
    parameters,
    responses: replies,
  }
  if (op.body && 'schema' in op.body) {
    const media: Json = { schema: jsonSchema(op.body.schema, 'input') }
    if (op.body.example !== undefined) media.example = op.body.example
    out.requestBody = {
      required: op.body.required ?? false,
      content: { 'application/json': media },
    }
  } else if (op.body) {
    out.requestBody = {
      required: false,
      description: op.body.description,
      content: { [op.body.contentType]: { schema: {} } },
    }
  }
  return out
}

/** `GET /api/jobs/:id/logs` → `getApiJobsIdLogs`: unique per method and path. */
function operationId(op: OperationSpec): string {
  const words = op.path
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
  return `${op.method.toLowerCase()}${words.join('')}`
}

export interface DocumentInfo {
  readonly version: string
}

export function buildOpenApiDocument(
  operations: ReadonlyArray<OperationSpec>,
  components: ReadonlyArray<readonly [string, z.ZodType]>,
  info: DocumentInfo,
): Json {
  const all: Components = { byName: [['Error', errorReply], ...components] }
  const paths: Record<string, Json> = {}
  for (const op of operations) {
    const { path } = openApiPath(op.path)
    paths[path] ??= {}
    paths[path][op.method.toLowerCase()] = operation(op, all)
  }
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Weir',
      version: info.version,
      description:
        'Task orchestration server. Errors are `{"error", "code", "field"?}` with a 4xx status ' +
        '(text PostgreSQL cannot store, a NUL or an unpaired surrogate, is a 400 naming the ' +
        'field); a database that cannot be reached is a 503 `unavailable` with Retry-After.',
    },
    servers: [{ url: '/' }],
    tags: [...new Set(operations.map((o) => o.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: Object.fromEntries(all.byName.map(([name, s]) => [name, jsonSchema(s, 'output')])),
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An access token or an API key' },
        workerSecret: { type: 'http', scheme: 'bearer', description: "A remote worker's secret" },
        enrollmentToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'A worker enrollment token',
        },
      },
    },
  }
}
