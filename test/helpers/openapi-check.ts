/**
 * The OpenAPI document as a test oracle: the router's own route table, and a check of a real
 * reply against what the document says the route answers with that status (ajv, JSON Schema
 * 2020-12, the dialect of OpenAPI 3.1), independent of the zod schemas it was generated from.
 */
import type Router from '@koa/router'
import { Ajv2020 } from 'ajv/dist/2020.js'
import type { ValidateFunction } from 'ajv/dist/2020.js'

export type OpenApiDocument = {
  paths: Record<string, Record<string, any>>
  components: Record<string, unknown>
}

export interface RouteEntry {
  readonly method: string
  /** The router pattern (`/api/jobs/:id`). */
  readonly pattern: string
}

/** Every route of the router (HEAD, which the router adds for each GET, left out). */
export function routeTable(router: Router): RouteEntry[] {
  const out: RouteEntry[] = []
  for (const layer of router.stack)
    for (const method of layer.methods)
      if (method !== 'HEAD') out.push({ method, pattern: String(layer.path) })
  return out
}

/** `/api/jobs/:id/artifacts/*name` → `/api/jobs/{id}/artifacts/{name}`. */
export function documentPath(pattern: string): string {
  return pattern.replace(/[:*](\w+)/g, '{$1}')
}

export function createReplyChecker(doc: OpenApiDocument) {
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/)
  const compiled = new Map<unknown, ValidateFunction>()

  /** The documented reply of a route and status (exact, else its `4XX`/`2XX` range). */
  function documented(method: string, pattern: string, status: number) {
    const op = doc.paths[documentPath(pattern)]?.[method.toLowerCase()]
    if (!op) throw new Error(`${method} ${pattern} is not in the document`)
    const replies = op.responses as Record<string, any>
    return replies[String(status)] ?? replies[`${String(status)[0]}XX`]
  }

  return {
    /** Problems of `body` against the document ([] when it fits); an undocumented status is one. */
    check(method: string, pattern: string, status: number, body: unknown): string[] {
      const reply = documented(method, pattern, status)
      if (!reply) return [`status ${status} is not documented for ${method} ${pattern}`]
      const schema = reply.content?.['application/json']?.schema
      if (!schema) return []
      let validate = compiled.get(schema)
      if (!validate) {
        validate = ajv.compile({ ...schema, components: doc.components })
        compiled.set(schema, validate)
      }
      if (validate(body)) return []
      return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`)
    },
    /** Whether the document gives this status a JSON body. */
    isJson(method: string, pattern: string, status: number): boolean {
      return documented(method, pattern, status)?.content?.['application/json'] !== undefined
    },
  }
}
