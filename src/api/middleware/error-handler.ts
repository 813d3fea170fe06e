/**
 * Mounted first: every error leaves as `{"error", "code", "field"?}` (API.md §1.4). AppErrors keep
 * their status; http-errors from koa-body keep theirs; an error that says the database cannot be
 * reached (shared/database-unavailable.ts) is a 503 `unavailable` with Retry-After, whatever the
 * route; anything else is a 500 that leaks nothing and is logged with the request id.
 */
import type { Context, Next } from 'koa'
import { isDatabaseUnavailable } from '../../shared/database-unavailable.ts'
import { coerceError, isAppError, type ErrorCode } from '../../shared/errors.ts'
import type { Logger } from '../../shared/logger.ts'

/** Retry-After of a 503, in seconds: a restarting PostgreSQL is usually back within that. */
export const UNAVAILABLE_RETRY_AFTER_SECS = 2

const UNAVAILABLE = {
  error: 'the database cannot be reached right now; retry shortly',
  code: 'unavailable',
} as const

const INTERNAL = { error: 'Internal server error', code: 'internal' } as const

const HTTP_CODES: Record<number, ErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  426: 'upgrade_required',
  501: 'not_implemented',
  503: 'unavailable',
}

interface HttpLikeError {
  status: number
  expose?: boolean
  message: string
  type?: string
}

function isHttpError(e: unknown): e is HttpLikeError {
  return (
    typeof e === 'object' &&
    e !== null &&
    'status' in e &&
    typeof e.status === 'number' &&
    e.status >= 400 &&
    e.status < 600
  )
}

/** A message for koa-body's parse errors that says what was wrong with the request. */
function httpErrorMessage(e: HttpLikeError): string {
  if (e.status === 413) return 'request body is larger than 1 MiB'
  if (e.status === 400 && (e.type === 'entity.parse.failed' || /JSON/i.test(e.message))) {
    return `malformed JSON body: ${e.message}`
  }
  return e.expose ? e.message : `request failed with status ${e.status}`
}

export function errorHandler(logger: Logger) {
  return async function handleErrors(ctx: Context, next: Next): Promise<void> {
    try {
      await next()
    } catch (thrown) {
      // A 4xx says what is wrong with the request; anything worse is first checked for a
      // database that cannot be reached (also as the cause of an AppError), which is a 503.
      const clientError =
        (isAppError(thrown) || isHttpError(thrown)) && thrown.status >= 400 && thrown.status < 500
      if (!clientError && isDatabaseUnavailable(thrown)) {
        logger.warn(
          {
            err: coerceError(thrown),
            requestId: requestIdOf(ctx),
            method: ctx.method,
            path: ctx.path,
          },
          'request failed: database unavailable',
        )
        ctx.status = 503
        ctx.set('Retry-After', String(UNAVAILABLE_RETRY_AFTER_SECS))
        ctx.body = { ...UNAVAILABLE }
        return
      }
      if (isAppError(thrown)) {
        ctx.status = thrown.status
        ctx.body = {
          error: thrown.expose ? thrown.message : INTERNAL.error,
          code: thrown.expose ? thrown.code : INTERNAL.code,
          ...(thrown.field !== undefined ? { field: thrown.field } : {}),
        }
        if (thrown.status === 503) ctx.set('Retry-After', String(UNAVAILABLE_RETRY_AFTER_SECS))
        if (thrown.status >= 500) logError(ctx, logger, thrown)
        return
      }
      if (isHttpError(thrown) && thrown.status < 500) {
        ctx.status = thrown.status
        ctx.body = {
          error: httpErrorMessage(thrown),
          code: HTTP_CODES[thrown.status] ?? 'bad_request',
        }
        return
      }
      logError(ctx, logger, coerceError(thrown))
      ctx.status = 500
      ctx.body = { ...INTERNAL }
    }
  }
}

function requestIdOf(ctx: Context): string | undefined {
  return (ctx.state as { requestId?: string }).requestId
}

function logError(ctx: Context, logger: Logger, err: Error): void {
  logger.error(
    { err, requestId: requestIdOf(ctx), method: ctx.method, path: ctx.path },
    'request failed',
  )
}
