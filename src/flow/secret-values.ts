/**
 * Which values of a job are secret (pure): every workspace secret, and the values of inputs that
 * are declared `secret: true` or whose name looks secret. These are masked in logs, outputs,
 * error messages and API responses; templates and processes still get the real values.
 */
import type { InputSchema, Workspace } from '../workspace/workspace.ts'
import type { StepSpec } from './step-spec.ts'

/** The workspace's secret values (nested maps flattened). */
export function secretValues(ws: Workspace | undefined): string[] {
  const out: string[] = []
  if (ws) collectValues(ws.secrets, out, false)
  return out
}

/** Name parts that make an input secret; `api_key` and `private_key` are matched as two parts. */
const SECRET_WORDS = new Set(['password', 'passwd', 'token', 'secret', 'apikey', 'credential'])
const SECRET_PAIRS = new Set(['api key', 'private key'])

/** `dbPassword`, `DB_PASSWORD`, `db-password` -> ['db', 'password']. */
function nameParts(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((p) => p !== '')
}

function singular(word: string): string {
  return word.length > 3 && word.endsWith('s') ? word.slice(0, -1) : word
}

/**
 * True when an input name looks secret: one of its word parts (split at `_`, `-`, `.`, spaces and
 * camelCase humps, case-insensitive, plural `s` ignored) is password, passwd, token, secret,
 * apikey or credential, or two adjacent parts are `api key` or `private key`. Whole words only,
 * so `tokenizer` and `secretary` are not secret.
 */
export function isSecretInputName(name: string): boolean {
  const parts = nameParts(name).map(singular)
  for (let i = 0; i < parts.length; i++) {
    if (SECRET_WORDS.has(parts[i]!)) return true
    if (i > 0 && SECRET_PAIRS.has(`${parts[i - 1]} ${parts[i]}`)) return true
  }
  return false
}

/**
 * The values of the input's secret fields: every string and number of a field declared
 * `secret: true`, and the strings of a field whose name looks secret (numbers there are left
 * alone, or `max_tokens: 1000` would mask every 1000 in the log).
 */
export function inputSecretValues(
  schema: InputSchema | undefined,
  input: Readonly<Record<string, unknown>>,
): string[] {
  const declared = new Set<string>()
  for (const [name, field] of schema ?? []) if (field.secret) declared.add(name)
  const out: string[] = []
  for (const [name, value] of Object.entries(input)) {
    if (declared.has(name)) collectValues(value, out, true)
    else if (isSecretInputName(name)) collectValues(value, out, false)
  }
  return out
}

/**
 * The input with each secret field's whole value replaced by `mask` (API responses): declared
 * fields whatever their type, secret-looking names when the value is a string. Short values,
 * which the scrubber leaves alone, are hidden here too.
 */
export function maskSecretInputs(
  schema: InputSchema | undefined,
  input: Readonly<Record<string, unknown>>,
  mask: string,
): Record<string, unknown> {
  const declared = new Set<string>()
  for (const [name, field] of schema ?? []) if (field.secret) declared.add(name)
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(input)) {
    const hide =
      value !== null &&
      value !== undefined &&
      (declared.has(name) || (typeof value === 'string' && isSecretInputName(name)))
    out[name] = hide ? mask : value
  }
  return out
}

/** A job's secret values: its workspace version's secrets plus its secret task inputs. */
export function jobSecretValues(
  ws: Workspace | undefined,
  job: { readonly taskName: string; readonly input: Readonly<Record<string, unknown>> },
): string[] {
  const schema = ws?.tasks.get(job.taskName)?.input
  return [...secretValues(ws), ...inputSecretValues(schema, job.input)]
}

/** The secret values of a rendered step input, by the action's input schema and the names. */
export function stepSecretValues(
  spec: StepSpec,
  renderedInput: Readonly<Record<string, unknown>>,
): string[] {
  return inputSecretValues(spec.action.input, renderedInput)
}

function collectValues(v: unknown, out: string[], numbers: boolean): void {
  if (typeof v === 'string') out.push(v)
  else if (numbers && typeof v === 'number' && Number.isFinite(v)) out.push(String(v))
  else if (Array.isArray(v)) for (const x of v) collectValues(x, out, numbers)
  else if (v !== null && typeof v === 'object')
    for (const x of Object.values(v)) collectValues(x, out, numbers)
}

/** What a client sends for a secret input it only ever saw masked: Strøm's, and Weir's. */
export const REPLAY_SENTINELS: ReadonlySet<unknown> = new Set(['••••••', '******'])

/**
 * A re-run's input (STROEM-REFERENCE.md §7.2): a secret field sent as a mask sentinel takes the
 * source job's value, or is left out (its default applies) when the source had none.
 */
export function replaySecretInputs(
  schema: InputSchema,
  input: Readonly<Record<string, unknown>>,
  source: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...input }
  const declared = new Map(schema)
  for (const [name, value] of Object.entries(input)) {
    if (!REPLAY_SENTINELS.has(value)) continue
    const secret = declared.get(name)?.secret === true || isSecretInputName(name)
    if (!secret) continue
    if (Object.hasOwn(source, name)) out[name] = source[name]
    else delete out[name]
  }
  return out
}
