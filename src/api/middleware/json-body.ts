/**
 * Request bodies are JSON (API.md §1.2): at most 1 MiB, else 413; a non-empty body of another
 * media type gets 415. koa-body parses; the raw text is kept for webhook signatures.
 */
import type { Context, Next } from 'koa'
import { HttpMethodEnum, koaBody } from 'koa-body'
import { AppError } from '../../shared/errors.ts'
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
  await parser(ctx, next)
}

/** The parsed JSON body, or undefined when the request had none. */
export function bodyOf(ctx: Context): unknown {
  const body = (ctx.request as { body?: unknown }).body
  if (!hasBody(ctx)) return undefined
  return body
}
