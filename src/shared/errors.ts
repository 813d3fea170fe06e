/** Error family shared by every layer; the API maps each to its status and `code` (API.md §1.4). */

export const ERROR_CODES = [
  'bad_request',
  'validation_failed',
  'unauthorized',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'conflict',
  'lease_expired',
  'lease_token_used',
  'payload_too_large',
  'range_not_satisfiable',
  'unsupported_media_type',
  'upgrade_required',
  'too_many_requests',
  'internal',
  'unavailable',
  'not_implemented',
] as const
export type ErrorCode = (typeof ERROR_CODES)[number]

export class AppError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly expose: boolean
  readonly field: string | undefined

  constructor(
    message: string,
    opts: { code: ErrorCode; status: number; field?: string; cause?: unknown; expose?: boolean },
  ) {
    super(message, { cause: opts.cause })
    this.name = new.target.name
    this.code = opts.code
    this.status = opts.status
    this.field = opts.field
    this.expose = opts.expose ?? opts.status < 500
  }
}

export class BadRequestError extends AppError {
  constructor(message: string, field?: string) {
    super(message, { code: 'bad_request', status: 400, field })
  }
}

export class ValidationError extends AppError {
  readonly issues: ReadonlyArray<{ path: string; message: string }>
  constructor(prefix: string, issues: ReadonlyArray<{ path: string; message: string }>) {
    const text = issues.map((i) => `${i.path}: ${i.message}`).join('; ')
    super(`${prefix}: ${text}`, { code: 'validation_failed', status: 400, field: issues[0]?.path })
    this.issues = issues
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'missing or invalid credentials') {
    super(message, { code: 'unauthorized', status: 401 })
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'this route is admin-only') {
    super(message, { code: 'forbidden', status: 403 })
  }
}

export class NotFoundError extends AppError {
  constructor(message: string) {
    super(message, { code: 'not_found', status: 404 })
  }
}

export class ConflictError extends AppError {
  constructor(
    message: string,
    code: 'conflict' | 'lease_expired' | 'lease_token_used' = 'conflict',
  ) {
    super(message, { code, status: 409 })
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(message: string) {
    super(message, { code: 'payload_too_large', status: 413 })
  }
}

export class TooManyRequestsError extends AppError {
  /** Seconds until a retry can succeed (sent as Retry-After). */
  readonly retryAfterSecs: number
  constructor(message: string, retryAfterSecs: number) {
    super(message, { code: 'too_many_requests', status: 429 })
    this.retryAfterSecs = retryAfterSecs
  }
}

export class UnavailableError extends AppError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'unavailable', status: 503, cause, expose: true })
  }
}

export class NotImplementedError extends AppError {
  constructor(message: string) {
    super(message, { code: 'not_implemented', status: 501, expose: true })
  }
}

/**
 * `instanceof AppError`, also for an AppError made by another copy of this module: a process that
 * loads modules both as CommonJS and as ES modules (mocha under tsx does) holds two copies.
 */
export function isAppError(e: unknown): e is AppError {
  if (e instanceof AppError) return true
  if (!(e instanceof Error)) return false
  const x = e as Partial<AppError>
  return (
    typeof x.status === 'number' &&
    typeof x.expose === 'boolean' &&
    (ERROR_CODES as ReadonlyArray<unknown>).includes(x.code)
  )
}

/** Turns anything thrown into an Error, keeping the original as `cause` when it was not one. */
export function coerceError(e: unknown): Error {
  if (e instanceof Error) return e
  if (typeof e === 'string') return new Error(e)
  try {
    return new Error(JSON.stringify(e), { cause: e })
  } catch {
    return new Error(String(e), { cause: e })
  }
}

/** Exhaustiveness guard for switches over unions. */
export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`)
}
