/**
 * Strøm's webhook form, `/hooks/{name}` (API.md §10 "Strøm compatibility", WORKSPACE-FORMAT.md
 * §6.4): a webhook trigger that declares `name` is found by that name across workspaces, checks a
 * shared secret (`?secret=` or `Authorization: Bearer`), and gets the request envelope as input,
 * with the trigger's `input` as defaults under it and no strict validation. Pure.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { InputSchema, TriggerDef, Workspace } from '../workspace/workspace.ts'
import type { WebhookEnvelope } from './webhook-input.ts'

/** The four envelope keys a trigger's `input` never overwrites. */
export const ENVELOPE_KEYS = ['body', 'headers', 'method', 'query'] as const

/** A serving webhook trigger that declares this Strøm `name`. */
export interface NamedWebhook {
  readonly workspace: Workspace
  readonly trigger: TriggerDef
}

/** Every serving webhook trigger named `name`, in workspace order (several = ambiguous). */
export function findNamedWebhooks(
  workspaces: Iterable<Workspace | null>,
  name: string,
): NamedWebhook[] {
  const found: NamedWebhook[] = []
  for (const workspace of workspaces) {
    for (const trigger of workspace?.triggers.values() ?? []) {
      if (workspace && trigger.type === 'webhook' && trigger.webhookName === name)
        found.push({ workspace, trigger })
    }
  }
  return found
}

/** The secret a Strøm caller presents: `?secret=` first, else an `Authorization: Bearer` token. */
export function presentedSecret(
  query: Readonly<Record<string, unknown>>,
  authorization: string | undefined,
): string | null {
  const q = query.secret
  const fromQuery = Array.isArray(q) ? (q[0] as unknown) : q
  if (typeof fromQuery === 'string' && fromQuery !== '') return fromQuery
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')
  return m ? m[1]! : null
}

/** Compares a presented secret with the trigger's in constant time (over fixed-length digests). */
export function sharedSecretMatches(expected: string, presented: string | null): boolean {
  if (expected === '' || presented === null) return false
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest()
  return timingSafeEqual(digest(expected), digest(presented))
}

/** The envelope without the presented secret, which must not land in the stored job input. */
export function withoutSecret(envelope: WebhookEnvelope): WebhookEnvelope {
  const query = { ...envelope.query }
  delete query.secret
  return { ...envelope, query }
}

/**
 * The job input: the trigger's `input` with the envelope over it (the four keys always win),
 * then the task's declared defaults for fields still missing. Nothing is type-checked or
 * refused, as in Strøm; `renderDefault` renders `{{ secret.* }}` defaults.
 */
export function stromWebhookInput(req: {
  readonly triggerInput: Readonly<Record<string, unknown>>
  readonly envelope: WebhookEnvelope
  readonly schema: InputSchema
  readonly renderDefault: (template: string) => unknown
}): Record<string, unknown> {
  const entries: Array<[string, unknown]> = Object.entries(req.triggerInput).filter(
    ([k]) => !(ENVELOPE_KEYS as ReadonlyArray<string>).includes(k),
  )
  for (const k of ENVELOPE_KEYS) entries.push([k, req.envelope[k]])
  const present = new Set(entries.filter(([, v]) => v !== undefined && v !== null).map(([k]) => k))
  for (const [name, field] of req.schema) {
    if (present.has(name) || field.default === undefined) continue
    const one = (v: unknown) =>
      typeof v === 'string' && v.includes('{{') ? req.renderDefault(v) : v
    entries.push([name, Array.isArray(field.default) ? field.default.map(one) : one(field.default)])
  }
  // fromEntries defines own properties, so a key named `__proto__` stays plain data.
  return Object.fromEntries(entries)
}
