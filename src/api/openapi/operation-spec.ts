/**
 * What the OpenAPI document says about one route: its method and router pattern (as the route
 * registers it), the zod schemas its handler validates the query and body with, and the schemas
 * of its replies. The operation tables beside this file hold one per route; a test compares them
 * with the router's own table, so a route cannot be served undocumented or documented unserved.
 */
import type { z } from 'zod'

/** Who may call: `public` needs nothing; `user` and `admin` need a bearer token when `auth` is on. */
export type Access = 'public' | 'user' | 'admin' | 'worker' | 'enrollment' | 'webhook' | 'metrics'

/** Response headers the document describes (openapi-document.ts holds their meaning). */
export type ReplyHeader =
  | 'X-Total-Count'
  | 'X-Total-Count-Estimated'
  | 'X-Next-Cursor'
  | 'Retry-After'
  | 'Content-Range'
  | 'Content-Disposition'
  | 'ETag'

export interface ReplySpec {
  readonly description: string
  /** A JSON body of this shape. */
  readonly schema?: z.ZodType
  /** A body of another media type (text, a stream of bytes, server-sent events). */
  readonly contentType?: string
  readonly headers?: ReadonlyArray<ReplyHeader>
}

export interface HeaderParam {
  readonly name: string
  readonly description: string
  readonly required?: boolean
}

export type BodySpec =
  | { readonly schema: z.ZodType; readonly required?: boolean; readonly example?: unknown }
  | { readonly contentType: string; readonly description: string }

export interface OperationSpec {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  /** The router pattern: `/api/jobs/:id`, `/api/jobs/:id/artifacts/*name`. */
  readonly path: string
  readonly summary: string
  readonly description?: string
  readonly tag: string
  readonly access: Access
  /** Descriptions of path parameters; every parameter of `path` is documented either way. */
  readonly params?: Readonly<Record<string, string>>
  /** The query schema the handler parses with (parseQuery). */
  readonly query?: z.ZodType
  readonly headers?: ReadonlyArray<HeaderParam>
  readonly body?: BodySpec
  /** Success replies, and the errors worth naming; every route also answers 4XX and 503. */
  readonly replies: Readonly<Record<number, ReplySpec>>
}
