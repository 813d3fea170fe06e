/** Command-line options of `npm run bench` (pure: parsed from argv, no IO). */
import { parseArgs } from 'node:util'

export const SCENARIO_IDS = [
  'B1',
  'B3',
  'B4',
  'B5',
  'B6',
  'B6R',
  'B7',
  'B10',
  'B14',
  'B15',
  'B16',
  'B17',
  'baselines',
] as const
export type ScenarioId = (typeof SCENARIO_IDS)[number]
export type DbKind = 'pg' | 'pglite'

export interface BenchOptions {
  readonly quick: boolean
  readonly dbs: ReadonlyArray<DbKind>
  readonly only: ReadonlySet<ScenarioId>
  /** B14's executions (default: 10,000; 2,000 with --quick). */
  readonly b14Executions: number | null
}

export type ParsedOptions =
  | { readonly ok: true; readonly options: BenchOptions }
  | { readonly ok: false; readonly error: string }

/**
 * Scenarios that `--quick` with both databases runs on PostgreSQL only: on PGlite they take
 * seconds each (B14 starts a PGlite server, B15's jobs have 200 steps). `--quick --db pglite`
 * still runs them there.
 */
export const QUICK_PG_ONLY: ReadonlySet<ScenarioId> = new Set(['B14', 'B15'])

/** Whether scenario `id` runs on `db` with these options (selected, and not skipped by --quick). */
export function runsOn(options: BenchOptions, id: ScenarioId, db: DbKind): boolean {
  if (!options.only.has(id)) return false
  const quickSkip = options.quick && options.dbs.length > 1 && db === 'pglite'
  return !(quickSkip && QUICK_PG_ONLY.has(id))
}

export const USAGE =
  'usage: npm run bench -- [--quick] [--db pg|pglite|both] [--only B1,B4,...,baselines] [--b14-executions N]'

/** Parses argv; `--only` takes ids case-insensitively and reports every unknown one at once. */
export function parseBenchArgs(argv: ReadonlyArray<string>): ParsedOptions {
  let values: { quick?: boolean; db?: string; only?: string; 'b14-executions'?: string }
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        quick: { type: 'boolean' },
        db: { type: 'string' },
        only: { type: 'string' },
        'b14-executions': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }).values
  } catch (e) {
    return { ok: false, error: `${(e as Error).message}\n${USAGE}` }
  }
  const db = values.db ?? 'both'
  if (db !== 'pg' && db !== 'pglite' && db !== 'both') {
    return { ok: false, error: `--db: expected pg, pglite or both, got '${db}'\n${USAGE}` }
  }
  const only = parseOnly(values.only)
  if (!only.ok) return only
  const rawN = values['b14-executions']
  const b14Executions = rawN === undefined ? null : Number(rawN)
  if (b14Executions !== null && !(Number.isInteger(b14Executions) && b14Executions > 0)) {
    return { ok: false, error: `--b14-executions: expected a positive integer, got '${rawN}'` }
  }
  return {
    ok: true,
    options: {
      quick: values.quick === true,
      dbs: db === 'both' ? ['pg', 'pglite'] : [db],
      only: only.ids,
      b14Executions,
    },
  }
}

function parseOnly(
  raw: string | undefined,
): { ok: true; ids: ReadonlySet<ScenarioId> } | { ok: false; error: string } {
  if (raw === undefined) return { ok: true, ids: new Set(SCENARIO_IDS) }
  const ids = new Set<ScenarioId>()
  const unknown: string[] = []
  for (const part of raw.split(',')) {
    const name = part.trim()
    if (name === '') continue
    const id = SCENARIO_IDS.find((s) => s.toLowerCase() === name.toLowerCase())
    if (id) ids.add(id)
    else unknown.push(name)
  }
  if (unknown.length > 0) {
    return {
      ok: false,
      error: `--only: unknown scenario ${unknown.map((u) => `'${u}'`).join(', ')} (expected ${SCENARIO_IDS.join(', ')})`,
    }
  }
  if (ids.size === 0) return { ok: false, error: '--only: no scenario named' }
  return { ok: true, ids }
}
