/**
 * Request bodies are JSON (API.md §1.2): at most 1 MiB, else 413; a non-empty body of another
 * media type gets 415. koa-body parses; the raw text is kept for webhook signatures. A body whose
 * Content-Encoding does not decode (not gzip, deflate or br at all, or cut short) is a 400: zlib
 * throws plain errors, which would otherwise leave as 500. An unknown Content-Encoding is a 415
 * that names it.
 */
import type { Context, Next } from 'koa'
import { HttpMethodEnum, koaBody } from 'koa-body'
import { AppError, BadRequestError, coerceError } from '../../shared/errors.ts'
import { hasStreamedBody } from '../streamed-body.ts'

const parser = koaBody({
  json: true,
  jsonLimit: '1mb',
  jsonStrict: false,
  urlencoded: false,
  text: false,
  multipart: false,
  includeUnparsed: true,
  parsedMethods: [
    HttpMethodEnum.POST,
    HttpMethodEnum.PUT,
    HttpMethodEnum.PATCH,
    HttpMethodEnum.DELETE,
  ],
})

function hasBody(ctx: Context): boolean {
  const length = ctx.get('Content-Length')
  if (length !== '') return Number(length) > 0
  return ctx.get('Transfer-Encoding') !== ''
}

export async function jsonBody(ctx: Context, next: Next): Promise<void> {
  if (hasStreamedBody(ctx)) {
    await next()
    return
  }
  if (['POST', 'PUT', 'PATCH', 'DELETE'].includes(ctx.method) && hasBody(ctx) && !ctx.is('json')) {
    throw new AppError(
      `request body must be JSON (Content-Type: application/json), got '${ctx.get('Content-Type') || 'none'}'`,
      {
        code: 'unsupported_media_type',
        status: 415,
      },
    )
  }
  let parsed = false
  try {
    await parser(ctx, () => {
      parsed = true
      return next()
    })
  } catch (e) {
    if (parsed) throw e
    const encoding = ctx.get('Content-Encoding')
    // inflation's refusal carries a status but no `expose`, so its message would be hidden.
    if (isHttpError(e) && e.status === 415 && /^Unsupported Content-Encoding/.test(e.message))
      throw new AppError(
        `Content-Encoding '${encoding}' is not supported: send the body as is, or with gzip, deflate or br`,
        { code: 'unsupported_media_type', status: 415, field: 'body' },
      )
    if (isHttpError(e)) throw e
    throw new BadRequestError(
      `request body could not be decoded${encoding ? ` as Content-Encoding '${encoding}'` : ''}: ${coerceError(e).message}`,
      'body',
    )
  }
}

/** koa-body's own errors (400 malformed JSON, 413, 415) carry their status; zlib's do not. */
function isHttpError(e: unknown): e is { status: number; message: string } {
  return e instanceof Error && 'status' in e && typeof e.status === 'number'
}

/** The parsed JSON body, or undefined when the request had none. */
export function bodyOf(ctx: Context): unknown {
  const body = (ctx.request as { body?: unknown }).body
  if (!hasBody(ctx)) return undefined
  return body
}
