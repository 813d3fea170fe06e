/**
 * Zod's issues in the API's words (API.md §1.4). Every problem of a request is reported at once,
 * each as `<path>: <message>` in the wording clients have always seen: `expected integer, got
 * string`, `required field is missing`, `unknown field`, `must be at most 200 characters`.
 * Unknown fields come first (sorted), then the other issues in schema order; `field` is the
 * first path. `got <type>` names JSON types as the task input's checks do (input-schema.ts).
 *
 * A body that fails becomes a ValidationError (400 `validation_failed`, `invalid request body:
 * …`). A query string that fails becomes a BadRequestError (400 `bad_request`, API.md §1.4): the
 * query schemas word each issue as a whole sentence that names the parameter (`limit must be an
 * integer, got 'x'`), and those sentences are joined with `; `.
 *
 * The wording is one error map passed to every parse, so a schema only spells out a message
 * where the generic one would say less (an email address, a worker name pattern).
 */
import { z } from 'zod'
import { BadRequestError, ValidationError } from '../shared/errors.ts'
import { describeJsonType } from '../workspace/input-schema.ts'

export interface RequestIssue {
  readonly path: string
  readonly message: string
}

export type Checked<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: RequestIssue[] }

/** Query parameters as Koa parses them. */
export type RawQuery = Readonly<Record<string, string | string[] | undefined>>

/** zod's name for an expected type, in JSON terms (`int` and integer formats are `integer`). */
function expectedType(iss: z.core.$ZodRawIssue<z.core.$ZodIssueInvalidType>): string {
  const def = iss.schema?._zod.def
  const integerFormat = def !== undefined && 'format' in def && /int/.test(String(def.format))
  if (iss.expected === 'int' || (iss.expected === 'number' && integerFormat)) return 'integer'
  if (iss.expected === 'record') return 'object'
  return iss.expected
}

function sizeMessage(
  bound: 'min' | 'max',
  origin: string,
  limit: number | bigint,
  inclusive: boolean,
): string {
  const n = String(limit)
  if (origin === 'string' || origin === 'array' || origin === 'set') {
    const unit = origin === 'string' ? 'characters' : 'entries'
    if (bound === 'min' && n === '1') return 'must not be empty'
    if (origin === 'string')
      return `must be ${bound === 'min' ? 'at least' : 'at most'} ${n} ${unit}`
    return `must have ${bound === 'min' ? 'at least' : 'at most'} ${n} ${unit}`
  }
  if (bound === 'min') return inclusive ? `must be at least ${n}` : `must be greater than ${n}`
  return inclusive ? `must be at most ${n}` : `must be less than ${n}`
}

/** The error map of every request parse. */
function describeIssue(iss: z.core.$ZodRawIssue): string {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return 'required field is missing'
      return `expected ${expectedType(iss)}, got ${describeJsonType(iss.input)}`
    case 'too_small':
      return sizeMessage('min', iss.origin, iss.minimum, iss.inclusive !== false)
    case 'too_big':
      return sizeMessage('max', iss.origin, iss.maximum, iss.inclusive !== false)
    case 'invalid_value':
      return iss.values.length === 1
        ? `expected ${String(iss.values[0])}`
        : `expected one of ${iss.values.map(String).join(', ')}`
    case 'invalid_format':
      return iss.format === 'regex' && iss.pattern !== undefined
        ? `must match ${iss.pattern}`
        : `must be a valid ${iss.format}`
    case 'not_multiple_of':
      return `must be a multiple of ${String(iss.divisor)}`
    case 'unrecognized_keys':
      return 'unknown field'
    case 'invalid_union':
      return `got ${describeJsonType(iss.input)}, which fits none of the accepted forms`
    case 'invalid_key':
      return 'invalid key'
    case 'invalid_element':
      return 'invalid entry'
    case 'custom':
      return 'invalid value'
    default:
      // A newer zod may add issue codes; they still get a readable message.
      return 'invalid value'
  }
}

const PARSE: z.core.ParseContext<z.core.$ZodIssue> = { error: describeIssue }

/** `running[0].job_id`; the body itself is `body`. */
function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = ''
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`
    else out += out === '' ? String(p) : `.${String(p)}`
  }
  return out === '' ? 'body' : out
}

/** The issues of a failed parse, unknown fields (one issue each, sorted) first. */
export function requestIssues(error: z.ZodError): RequestIssue[] {
  const unknown: RequestIssue[] = []
  const rest: RequestIssue[] = []
  for (const iss of error.issues) {
    if (iss.code === 'unrecognized_keys') {
      for (const key of iss.keys)
        unknown.push({ path: formatPath([...iss.path, key]), message: iss.message })
    } else rest.push({ path: formatPath(iss.path), message: iss.message })
  }
  if (unknown.length === 0) return rest
  unknown.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return [...unknown, ...rest]
}

/** Checks `value` against `schema`, with every issue in the API's words. Never throws. */
export function validateRequest<S extends z.ZodType>(
  schema: S,
  value: unknown,
): Checked<z.output<S>> {
  const r = schema.safeParse(value, PARSE)
  return r.success ? { ok: true, value: r.data } : { ok: false, issues: requestIssues(r.error) }
}

/** The parsed request body (an absent body counts as `{}`), or a 400 naming every problem. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const r = schema.safeParse(body === undefined ? {} : body, PARSE)
  if (r.success) return r.data
  throw new ValidationError('invalid request body', requestIssues(r.error))
}

/**
 * The parsed query string, or a 400 naming every problem. A repeated parameter counts with its
 * last value and an empty one as absent, so each parameter's schema sees a string or nothing;
 * unknown parameters are ignored (API.md §1.2).
 */
export function parseQuery<S extends z.ZodType>(schema: S, query: RawQuery): z.output<S> {
  const values = Object.entries(query).flatMap(([k, v]) => {
    const last = Array.isArray(v) ? v[v.length - 1] : v
    return last === undefined || last === '' ? [] : [[k, last] as const]
  })
  // fromEntries defines own properties, so a parameter named `__proto__` stays plain data.
  const r = schema.safeParse(Object.fromEntries(values), PARSE)
  if (r.success) return r.data
  const issues = requestIssues(r.error)
  throw new BadRequestError(issues.map((i) => i.message).join('; '), issues[0]?.path)
}

/** An integer from `min` to `max`; outside, `must be between <min> and <max>`. */
export function intBetween(min: number, max: number) {
  const error = `must be between ${min} and ${max}`
  return z.int().min(min, { error }).max(max, { error })
}

/** A number from `min` to `max`; outside, `must be between <min> and <max>`. */
export function numberBetween(min: number, max: number) {
  const error = `must be between ${min} and ${max}`
  return z.number().min(min, { error }).max(max, { error })
}
