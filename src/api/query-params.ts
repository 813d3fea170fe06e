/**
 * Query-string parameters shared by the list routes (API.md §1.5), as zod schemas for
 * parseQuery, which hands each one the parameter's last value, or nothing. Each issue is a whole
 * sentence naming the parameter and quoting what was sent, as clients have always read it.
 */
import { z } from 'zod'

/** Largest page any list route serves (API.md §1.5). */
export const MAX_LIMIT = 500

/** A decimal integer of at least `min`. */
export function intParam(key: string, min: number) {
  return z
    .string()
    .regex(/^-?\d+$/, { error: (iss) => `${key} must be an integer, got '${String(iss.input)}'` })
    .transform(Number)
    .refine((n) => n >= min, {
      error: (iss) => `${key} must be at least ${min}, got ${String(iss.input)}`,
    })
}

/** `true` or `false`. */
export function boolParam(key: string, fallback: boolean) {
  return z
    .enum(['true', 'false'], {
      error: (iss) => `${key} must be true or false, got '${String(iss.input)}'`,
    })
    .transform((v) => v === 'true')
    .default(fallback)
}

/** An RFC 3339 timestamp. */
export function timeParam(key: string) {
  return z
    .string()
    .refine((raw) => /^\d{4}-\d{2}-\d{2}/.test(raw) && !Number.isNaN(Date.parse(raw)), {
      error: (iss) => `${key} must be an RFC 3339 timestamp, got '${String(iss.input)}'`,
    })
    .transform((raw) => new Date(raw))
}

/** A keyset `cursor` (API.md §1.5), decoded by the list's own `decode` (undefined: invalid). */
export function cursorParam<T>(decode: (raw: string) => T | undefined) {
  return z.string().transform((raw, ctx) => {
    const decoded = decode(raw)
    if (decoded !== undefined) return decoded
    ctx.addIssue({ code: 'custom', message: `invalid cursor '${raw}'` })
    return z.NEVER
  })
}

/**
 * Largest `offset`: skipping rows costs reading them, so a deep offset into a million jobs takes
 * as long as reading them all. Beyond this the keyset cursor (X-Next-Cursor) pages in constant time.
 */
export const MAX_OFFSET = 10_000

/** `limit` (1–500, default 50; above 500 counts as 500), `offset` (0–10,000) and `count`. */
export const pageParams = {
  limit: intParam('limit', 1)
    .transform((n) => Math.min(n, MAX_LIMIT))
    .default(50),
  offset: intParam('offset', 0)
    .refine((n) => n <= MAX_OFFSET, {
      error: (iss) =>
        `offset must be at most ${MAX_OFFSET}, got ${String(iss.input)}: ` +
        "page further with the cursor parameter, taking each page's X-Next-Cursor header",
    })
    .default(0),
  count: boolParam('count', true),
}

/** A keyset cursor already says where the page starts, so it excludes a non-zero offset. */
export function cursorExcludesOffset(
  q: { readonly offset: unknown; readonly cursor?: unknown },
  ctx: z.RefinementCtx,
): void {
  if (q.cursor !== undefined && typeof q.offset === 'number' && q.offset !== 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['cursor'],
      message: 'cursor cannot be combined with a non-zero offset',
    })
  }
}
