/**
 * Job input of a webhook request (API.md §10). Each declared input takes the first value found
 * among the JSON body's top-level field, the query parameter (converted for integer, number and
 * boolean inputs), the trigger's `input` rendered with `webhook` and `secret`, and finally the
 * schema default (applied later by validateInput). A `null` body field counts as absent.
 */
import { z } from 'zod'
import type { InputIssue } from '../workspace/input-schema.ts'
import { renderValue, TemplateError } from '../templates/render.ts'
import type { InputSchema, InputType } from '../workspace/workspace.ts'
import type { Clock } from '../shared/clock.ts'

/** What templates see as `webhook`. */
export interface WebhookEnvelope {
  readonly method: string
  readonly headers: Readonly<Record<string, unknown>>
  readonly query: Readonly<Record<string, unknown>>
  readonly body: unknown
}

/** Never visible to templates: credentials and the signatures themselves. */
const HIDDEN_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-weir-signature-256',
  'x-hub-signature-256',
  'x-hub-signature',
])

/** Builds the `webhook` template variable: lower-cased headers minus the hidden ones. */
export function webhookEnvelope(req: {
  method: string
  headers: Readonly<Record<string, unknown>>
  query: Readonly<Record<string, unknown>>
  body: unknown
}): WebhookEnvelope {
  const headers: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(req.headers)) {
    const name = k.toLowerCase()
    if (v !== undefined && !HIDDEN_HEADERS.has(name)) headers[name] = v
  }
  return {
    method: req.method.toUpperCase(),
    headers,
    query: { ...req.query },
    body: req.body === undefined ? null : req.body,
  }
}

const INTEGER = /^[+-]?\d+$/
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

/** How query text becomes a value of each input type; null: it stays text. */
const QUERY_TEXT = {
  integer: z.string().trim().regex(INTEGER).transform(Number).refine(Number.isSafeInteger),
  number: z.string().trim().regex(NUMBER).transform(Number),
  boolean: z
    .string()
    .trim()
    .pipe(z.enum(['true', 'false']))
    .transform((v) => v === 'true'),
  string: null,
  text: null,
  date: null,
  datetime: null,
} satisfies Record<InputType, z.ZodType | null>

/** Query strings are text: convert where the input type says so, else leave the text for validation to judge. */
export function convertQueryValue(type: InputType, value: unknown): unknown {
  const schema = QUERY_TEXT[type]
  if (schema === null || typeof value !== 'string') return value
  const converted = schema.safeParse(value)
  return converted.success ? converted.data : value
}

/** The body's top-level fields; a body that is not a JSON object has none. */
const bodyFields = z.record(z.string(), z.unknown()).catch({})

function has(obj: Readonly<Record<string, unknown>>, key: string): boolean {
  return Object.hasOwn(obj, key) && obj[key] !== undefined && obj[key] !== null
}

export type ResolvedInput =
  | { readonly ok: true; readonly input: Record<string, unknown> }
  | { readonly ok: false; readonly issues: ReadonlyArray<InputIssue> }

/**
 * Resolves the job input before validation. Trigger templates render lazily, only for fields
 * the body and query leave empty, so a template about an absent payload field cannot fail a
 * request that supplies the value directly. Undeclared trigger keys are kept, so validation
 * reports them instead of their being dropped silently.
 */
export function resolveWebhookInput(req: {
  readonly schema: InputSchema
  readonly declaresInput: boolean
  readonly triggerInput: Readonly<Record<string, unknown>>
  readonly webhook: WebhookEnvelope
  readonly secrets: Readonly<Record<string, unknown>>
  /** The time `now()` returns. */
  readonly clock: Pick<Clock, 'now'>
}): ResolvedInput {
  const ctx = { webhook: req.webhook, secret: req.secrets }
  const issues: InputIssue[] = []
  const out: Array<[string, unknown]> = []
  const render = (name: string): void => {
    try {
      out.push([name, renderValue(req.triggerInput[name], ctx, { clock: req.clock })])
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e
      issues.push({ path: `input.${name}`, message: `trigger input template failed: ${e.message}` })
    }
  }
  const declared = new Set(req.declaresInput ? req.schema.map(([name]) => name) : [])
  const body = bodyFields.parse(req.webhook.body)
  const query = req.webhook.query
  for (const [name, field] of req.declaresInput ? req.schema : []) {
    if (has(body, name)) out.push([name, body[name]])
    else if (has(query, name)) out.push([name, convertQueryValue(field.type, query[name])])
    else if (Object.hasOwn(req.triggerInput, name)) render(name)
  }
  for (const name of Object.keys(req.triggerInput)) if (!declared.has(name)) render(name)
  return issues.length > 0 ? { ok: false, issues } : { ok: true, input: Object.fromEntries(out) }
}
