/** Query-string and path parsing shared by routes; every problem is a 400 naming the field. */
import { BadRequestError } from '../shared/errors.ts'
import { isUuid } from '../shared/ids.ts'

export function parseJobId(raw: string | undefined): string {
  if (raw === undefined || !isUuid(raw))
    throw new BadRequestError(`invalid job id '${raw ?? ''}'`, 'job_id')
  return raw
}

function one(q: Record<string, string | string[] | undefined>, key: string): string | undefined {
  const v = q[key]
  return Array.isArray(v) ? v[v.length - 1] : v
}

export function intParam(
  q: Record<string, string | string[] | undefined>,
  key: string,
  def: number,
  min: number,
): number {
  const raw = one(q, key)
  if (raw === undefined || raw === '') return def
  if (!/^-?\d+$/.test(raw))
    throw new BadRequestError(`${key} must be an integer, got '${raw}'`, key)
  const n = Number(raw)
  if (n < min) throw new BadRequestError(`${key} must be at least ${min}, got ${n}`, key)
  return n
}

/** Largest page any list route serves (API.md §1.5). */
export const MAX_LIMIT = 500

/** `limit` (1–500, default 50), `offset` and the raw keyset `cursor`, which excludes an offset. */
export function pageParams(q: Record<string, string | string[] | undefined>): {
  limit: number
  offset: number
  rawCursor: string | undefined
} {
  const limit = Math.min(intParam(q, 'limit', 50, 1), MAX_LIMIT)
  const offset = intParam(q, 'offset', 0, 0)
  const rawCursor = stringParam(q, 'cursor')
  if (rawCursor !== undefined && offset !== 0)
    throw new BadRequestError('cursor cannot be combined with a non-zero offset', 'cursor')
  return { limit, offset, rawCursor }
}

export function stringParam(
  q: Record<string, string | string[] | undefined>,
  key: string,
): string | undefined {
  const v = one(q, key)
  return v === undefined || v === '' ? undefined : v
}

export function boolParam(
  q: Record<string, string | string[] | undefined>,
  key: string,
  def: boolean,
): boolean {
  const v = one(q, key)
  if (v === undefined || v === '') return def
  if (v === 'true') return true
  if (v === 'false') return false
  throw new BadRequestError(`${key} must be true or false, got '${v}'`, key)
}

export function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(`${createdAt.toISOString()}|${id}`).toString('base64url')
}

export function decodeCursor(raw: string): { createdAt: Date; id: string } {
  const text = Buffer.from(raw, 'base64url').toString('utf8')
  const [at, id] = text.split('|')
  const createdAt = new Date(at ?? '')
  if (!id || !isUuid(id) || Number.isNaN(createdAt.getTime()))
    throw new BadRequestError(`invalid cursor '${raw}'`, 'cursor')
  return { createdAt, id }
}
