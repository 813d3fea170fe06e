/**
 * `-i key=value` arguments turned into a task input (or an approval's fields), typed by the
 * declared schema so that `-i replicas=3` sends the number 3 (API.md §4.4 never coerces).
 *
 * - `integer` and `number` fields take a number, `boolean` fields true/false (also yes/no, 1/0);
 *   `string`, `text`, `date` and `datetime` fields take the text as it is.
 * - A `multiple` field takes a list: each `-i` adds to it, and a value is split at commas.
 * - `-i key:=<json>` sends a JSON value as it is (a list, an object, null).
 * - A key the schema does not declare is sent as text; the server then names it.
 * - `--input-file` gives a JSON object first; `-i` values replace its keys.
 */

/** What the CLI needs of a declared field (`GET …/tasks/{task}` `input`, or `approval_fields`). */
export interface FieldShape {
  readonly type: string
  readonly multiple: boolean
  readonly secret: boolean
}

export type InputBuild =
  | { readonly ok: true; readonly input: Record<string, unknown> }
  | { readonly ok: false; readonly problems: ReadonlyArray<string> }

/** The declared schema as the API returns it: field name → `{type, multiple?, secret?, …}`. */
export function fieldShapes(declared: unknown): ReadonlyMap<string, FieldShape> {
  const out = new Map<string, FieldShape>()
  if (!isRecord(declared)) return out
  for (const [name, f] of Object.entries(declared)) {
    if (!isRecord(f)) continue
    const type = typeof f.type === 'string' ? (f.type === 'bool' ? 'boolean' : f.type) : 'string'
    out.set(name, { type, multiple: f.multiple === true, secret: f.secret === true })
  }
  return out
}

interface Pair {
  readonly key: string
  readonly raw: string
  readonly json: boolean
}

/** Splits `key=value` / `key:=json` arguments; every malformed one is a problem. */
export function splitPairs(args: ReadonlyArray<string>): {
  pairs: ReadonlyArray<Pair>
  problems: ReadonlyArray<string>
} {
  const pairs: Pair[] = []
  const problems: string[] = []
  for (const arg of args) {
    const eq = arg.indexOf('=')
    const json = eq > 0 && arg[eq - 1] === ':'
    const key = eq < 0 ? '' : arg.slice(0, json ? eq - 1 : eq)
    if (key === '') {
      problems.push(`-i '${arg}': expected key=value (or key:=<json>)`)
      continue
    }
    pairs.push({ key, raw: arg.slice(eq + 1), json })
  }
  return { pairs, problems }
}

/**
 * The input to send: `base` (from --input-file) with each pair typed by its field and set on
 * top. Reports every problem at once.
 */
export function buildInput(
  args: ReadonlyArray<string>,
  fields: ReadonlyMap<string, FieldShape>,
  base: Readonly<Record<string, unknown>> = {},
): InputBuild {
  const { pairs, problems } = splitPairs(args)
  const problemList = [...problems]
  const input: Record<string, unknown> = { ...base }
  const listed = new Set<string>()
  for (const pair of pairs) {
    const field = fields.get(pair.key)
    const typed = typeValue(pair, field)
    if ('problem' in typed) {
      problemList.push(`-i ${pair.key}: ${typed.problem}`)
      continue
    }
    if (field?.multiple && !pair.json) {
      // The first -i of a multiple field replaces what --input-file had; the next ones add.
      const before = listed.has(pair.key) ? (input[pair.key] as unknown[]) : []
      listed.add(pair.key)
      input[pair.key] = [...before, ...(typed.value as unknown[])]
    } else {
      input[pair.key] = typed.value
    }
  }
  return problemList.length > 0 ? { ok: false, problems: problemList } : { ok: true, input }
}

type Typed = { readonly value: unknown } | { readonly problem: string }

const TRUE = new Set(['true', 'yes', 'y', '1', 'on'])
const FALSE = new Set(['false', 'no', 'n', '0', 'off'])

function typeValue(pair: Pair, field: FieldShape | undefined): Typed {
  if (pair.json) {
    try {
      return { value: JSON.parse(pair.raw) as unknown }
    } catch {
      return { problem: 'the value after := is not valid JSON' }
    }
  }
  if (field === undefined) return { value: pair.raw }
  const shown = field.secret ? 'the value given' : `'${pair.raw}'`
  if (field.multiple) {
    return { value: pair.raw === '' ? [] : pair.raw.split(',').map((s) => s.trim()) }
  }
  switch (field.type) {
    case 'integer': {
      const t = pair.raw.trim()
      if (!/^[-+]?\d+$/.test(t)) return { problem: `expected an integer, got ${shown}` }
      const n = Number(t)
      return Number.isSafeInteger(n)
        ? { value: n }
        : { problem: `integer out of range (at most ±${Number.MAX_SAFE_INTEGER})` }
    }
    case 'number': {
      const t = pair.raw.trim()
      const n = Number(t)
      return t !== '' && Number.isFinite(n)
        ? { value: n }
        : { problem: `expected a number, got ${shown}` }
    }
    case 'boolean': {
      const t = pair.raw.trim().toLowerCase()
      if (TRUE.has(t)) return { value: true }
      if (FALSE.has(t)) return { value: false }
      return { problem: `expected true or false, got ${shown}` }
    }
    default:
      // string, text, date, datetime and any type this client does not know: the text as is.
      return { value: pair.raw }
  }
}

/** Reads the text of `--input-file`: a JSON object, or a problem naming the file. */
export function parseInputFile(
  name: string,
  text: string,
):
  | { readonly ok: true; readonly value: Record<string, unknown> }
  | { readonly ok: false; readonly problem: string } {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    return { ok: false, problem: `--input-file ${name}: not valid JSON (${(e as Error).message})` }
  }
  if (!isRecord(value)) {
    return { ok: false, problem: `--input-file ${name}: expected a JSON object of input fields` }
  }
  return { ok: true, value }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
