/**
 * Request bodies of the remote worker protocol (API.md §11.2, §11.5), checked strictly: every
 * problem is reported at once with its path, and unknown top-level fields are named. Pure.
 */
import { WORKER_CAPABILITIES } from '../workers/worker-record.ts'
import { ValidationError } from '../shared/errors.ts'
import { isUuid } from '../shared/ids.ts'

export interface BodyIssue {
  readonly path: string
  readonly message: string
}

export type Parsed<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: BodyIssue[] }

export interface RegisterBody {
  readonly name: string
  readonly hostname: string | null
  readonly version: string | null
  readonly capabilities: string[]
  readonly tags: string[]
  readonly maxConcurrency: number
}

export interface HeartbeatBody {
  readonly bootId: string
  readonly running: Array<{ jobId: string; stepName: string }>
}

export interface LogsBody {
  readonly seq: number
  readonly lines: Array<{ ts: string; stream: 'stdout' | 'stderr'; line: string }>
}

export interface CompleteBody {
  readonly seq: number
  readonly status: 'completed' | 'failed' | 'cancelled'
  readonly exitCode: number | null
  readonly output: unknown
  readonly errorMessage: string | null
}

export const WORKER_NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/
export const MAX_TAGS = 32
export const MAX_LOG_LINES = 1000
export const MAX_ERROR_MESSAGE_BYTES = 64 * 1024
const MAX_RUNNING = 1000

type Obj = Record<string, unknown>

function typeName(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  return typeof v
}

/** The body as an object (an absent body counts as `{}`), reporting unknown fields. */
function objectBody(body: unknown, known: ReadonlyArray<string>, issues: BodyIssue[]): Obj {
  if (body === undefined) return {}
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    issues.push({ path: '(body)', message: `expected a JSON object, got ${typeName(body)}` })
    return {}
  }
  for (const key of Object.keys(body))
    if (!known.includes(key)) issues.push({ path: key, message: 'unknown field' })
  return body as Obj
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v)
}

function optionalString(o: Obj, key: string, max: number, issues: BodyIssue[]): string | null {
  const v = o[key]
  if (v === undefined || v === null) return null
  if (typeof v !== 'string') {
    issues.push({ path: key, message: `expected string, got ${typeName(v)}` })
    return null
  }
  if (v.length > max) issues.push({ path: key, message: `at most ${max} characters` })
  return v
}

function seqOf(o: Obj, issues: BodyIssue[]): number {
  const v = o.seq
  if (v === undefined) issues.push({ path: 'seq', message: 'required' })
  else if (!isInt(v) || v < 1)
    issues.push({ path: 'seq', message: `expected an integer >= 1, got ${JSON.stringify(v)}` })
  return isInt(v) ? v : 0
}

function stringList(o: Obj, key: string, issues: BodyIssue[]): string[] {
  const v = o[key]
  if (v === undefined) return []
  if (!Array.isArray(v)) {
    issues.push({ path: key, message: `expected array of strings, got ${typeName(v)}` })
    return []
  }
  v.forEach((x, i) => {
    if (typeof x !== 'string' || x.length === 0 || x.length > 64)
      issues.push({ path: `${key}[${i}]`, message: 'expected a string of 1-64 characters' })
  })
  return v.filter((x): x is string => typeof x === 'string')
}

/** The parsed body, or a 400 naming every offending field. */
export function bodyOrThrow<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) throw new ValidationError('invalid request body', parsed.issues)
  return parsed.value
}

function done<T>(issues: BodyIssue[], value: T): Parsed<T> {
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value }
}

export function parseRegisterBody(body: unknown): Parsed<RegisterBody> {
  const issues: BodyIssue[] = []
  const o = objectBody(
    body,
    ['name', 'hostname', 'version', 'capabilities', 'tags', 'max_concurrency'],
    issues,
  )
  const name = o.name
  if (name === undefined) issues.push({ path: 'name', message: 'required' })
  else if (typeof name !== 'string' || !WORKER_NAME_RE.test(name))
    issues.push({
      path: 'name',
      message: `expected 1-64 characters of A-Z a-z 0-9 _ . -, got ${JSON.stringify(name)}`,
    })
  const hostname = optionalString(o, 'hostname', 255, issues)
  const version = optionalString(o, 'version', 64, issues)
  const capabilities = stringList(o, 'capabilities', issues)
  if (o.capabilities === undefined || capabilities.length === 0)
    issues.push({ path: 'capabilities', message: 'expected a non-empty list' })
  capabilities.forEach((c, i) => {
    if (!(WORKER_CAPABILITIES as ReadonlyArray<string>).includes(c))
      issues.push({
        path: `capabilities[${i}]`,
        message: `unknown capability '${c}' (expected ${WORKER_CAPABILITIES.join(', ')})`,
      })
  })
  const tags = stringList(o, 'tags', issues)
  if (tags.length > MAX_TAGS) issues.push({ path: 'tags', message: `at most ${MAX_TAGS} tags` })
  const mc = o.max_concurrency
  if (mc === undefined) issues.push({ path: 'max_concurrency', message: 'required' })
  else if (!isInt(mc) || mc < 1 || mc > 64)
    issues.push({
      path: 'max_concurrency',
      message: `expected an integer from 1 to 64, got ${JSON.stringify(mc)}`,
    })
  return done(issues, {
    name: typeof name === 'string' ? name : '',
    hostname,
    version,
    capabilities: [...new Set(capabilities)],
    tags: [...new Set(tags)],
    maxConcurrency: isInt(mc) ? mc : 1,
  })
}

export function parseHeartbeatBody(body: unknown): Parsed<HeartbeatBody> {
  const issues: BodyIssue[] = []
  const o = objectBody(body, ['boot_id', 'running'], issues)
  const bootId = o.boot_id
  if (typeof bootId !== 'string' || bootId.length === 0 || bootId.length > 128)
    issues.push({ path: 'boot_id', message: 'expected a string of 1-128 characters' })
  const running: Array<{ jobId: string; stepName: string }> = []
  const list = o.running
  if (list !== undefined && !Array.isArray(list))
    issues.push({ path: 'running', message: `expected array, got ${typeName(list)}` })
  else if (Array.isArray(list)) {
    if (list.length > MAX_RUNNING)
      issues.push({ path: 'running', message: `at most ${MAX_RUNNING} entries` })
    list.forEach((e: unknown, i) => {
      const at = `running[${i}]`
      if (typeof e !== 'object' || e === null || Array.isArray(e)) {
        issues.push({ path: at, message: 'expected {job_id, step_name}' })
        return
      }
      const { job_id: jobId, step_name: stepName } = e as Obj
      if (typeof jobId !== 'string' || !isUuid(jobId))
        issues.push({ path: `${at}.job_id`, message: 'expected a job id (lowercase UUID)' })
      if (typeof stepName !== 'string' || stepName.length === 0)
        issues.push({ path: `${at}.step_name`, message: 'expected a step name' })
      if (typeof jobId === 'string' && typeof stepName === 'string')
        running.push({ jobId, stepName })
    })
  }
  return done(issues, { bootId: typeof bootId === 'string' ? bootId : '', running })
}

/** `wait_secs` of a claim: 0..max, default min(25, max). */
export function parseClaimBody(body: unknown, maxWaitSecs: number): Parsed<{ waitSecs: number }> {
  const issues: BodyIssue[] = []
  const o = objectBody(body, ['wait_secs'], issues)
  const v = o.wait_secs
  let waitSecs = Math.min(25, maxWaitSecs)
  if (v !== undefined && v !== null) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > maxWaitSecs)
      issues.push({
        path: 'wait_secs',
        message: `expected a number from 0 to ${maxWaitSecs}, got ${JSON.stringify(v)}`,
      })
    else waitSecs = v
  }
  return done(issues, { waitSecs })
}

export function parseSeqBody(body: unknown): Parsed<{ seq: number }> {
  const issues: BodyIssue[] = []
  const o = objectBody(body, ['seq'], issues)
  const seq = seqOf(o, issues)
  return done(issues, { seq })
}

export function parseReasonBody(body: unknown): Parsed<{ reason: string | null }> {
  const issues: BodyIssue[] = []
  const o = objectBody(body, ['reason'], issues)
  return done(issues, { reason: optionalString(o, 'reason', 1000, issues) })
}

export function parseEmptyBody(body: unknown): Parsed<Record<string, never>> {
  const issues: BodyIssue[] = []
  objectBody(body, [], issues)
  return done(issues, {})
}

export function parseLogsBody(body: unknown): Parsed<LogsBody> {
  const issues: BodyIssue[] = []
  const o = objectBody(body, ['seq', 'lines'], issues)
  const seq = seqOf(o, issues)
  const lines: LogsBody['lines'] = []
  const list = o.lines
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_LOG_LINES) {
    issues.push({ path: 'lines', message: `expected 1-${MAX_LOG_LINES} lines` })
  } else {
    list.forEach((e: unknown, i) => {
      const at = `lines[${i}]`
      if (typeof e !== 'object' || e === null || Array.isArray(e)) {
        issues.push({ path: at, message: 'expected {ts, stream, line}' })
        return
      }
      const { ts, stream, line } = e as Obj
      const badTs = typeof ts !== 'string' || Number.isNaN(Date.parse(ts))
      if (badTs) issues.push({ path: `${at}.ts`, message: 'expected an RFC 3339 timestamp' })
      if (stream !== 'stdout' && stream !== 'stderr')
        issues.push({ path: `${at}.stream`, message: "expected 'stdout' or 'stderr'" })
      if (typeof line !== 'string')
        issues.push({ path: `${at}.line`, message: `expected string, got ${typeName(line)}` })
      if (!badTs && (stream === 'stdout' || stream === 'stderr') && typeof line === 'string')
        lines.push({ ts: new Date(ts).toISOString(), stream, line })
    })
  }
  return done(issues, { seq, lines })
}

/** Cuts a string to at most `maxBytes` UTF-8 bytes without splitting a character. */
export function truncateUtf8(s: string, maxBytes: number): string {
  if (Buffer.byteLength(s, 'utf8') <= maxBytes) return s
  let out = Buffer.from(s, 'utf8').subarray(0, maxBytes).toString('utf8')
  if (out.endsWith('\uFFFD')) out = out.slice(0, -1)
  return out
}

export function parseCompleteBody(body: unknown): Parsed<CompleteBody> {
  const issues: BodyIssue[] = []
  const o = objectBody(body, ['seq', 'status', 'exit_code', 'output', 'error_message'], issues)
  const seq = seqOf(o, issues)
  const status = o.status
  if (status !== 'completed' && status !== 'failed' && status !== 'cancelled')
    issues.push({
      path: 'status',
      message: `expected 'completed', 'failed' or 'cancelled', got ${JSON.stringify(status ?? null)}`,
    })
  const exit = o.exit_code
  if (exit !== undefined && exit !== null && !isInt(exit))
    issues.push({ path: 'exit_code', message: `expected integer or null, got ${typeName(exit)}` })
  const err = o.error_message
  if (err !== undefined && err !== null && typeof err !== 'string')
    issues.push({ path: 'error_message', message: `expected string or null, got ${typeName(err)}` })
  return done(issues, {
    seq,
    status: status as CompleteBody['status'],
    exitCode: isInt(exit) ? exit : null,
    output: o.output === undefined ? null : o.output,
    errorMessage: typeof err === 'string' ? truncateUtf8(err, MAX_ERROR_MESSAGE_BYTES) : null,
  })
}
