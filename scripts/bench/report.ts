/** Result rows and the printed tables of `npm run bench` (pure: strings in, strings out). */
import { fmt, fmtNumber, type Summary } from './stats.ts'

export type RowDb = 'pg' | 'pglite' | '-'
/** Rows with the same key compare Weir with a baseline: latency by p50, rates by amount. */
export type CompareKey = 'echo-latency' | 'noop-throughput' | 'echo-throughput'

export interface Row {
  readonly scenario: string
  readonly name: string
  readonly db: RowDb
  readonly latency?: Summary
  readonly value?: { readonly amount: number; readonly unit: string }
  readonly target?: string
  /** null when the target does not apply (another database) or cannot be judged. */
  readonly met?: boolean | null
  readonly compare?: { readonly key: CompareKey; readonly system: string }
}

/** The number a comparison uses: p50 for latency rows, else the value. */
export function comparable(row: Row): number {
  return row.latency ? row.latency.p50 : (row.value?.amount ?? NaN)
}

/**
 * Weir ÷ each baseline with the same compare key, as `graphile-worker 1.8×` parts; PostgreSQL
 * rows only, since the baselines run there.
 */
export function ratiosFor(row: Row, all: ReadonlyArray<Row>): string[] {
  if (!row.compare || row.compare.system !== 'weir' || row.db !== 'pg') return []
  const mine = comparable(row)
  const key = row.compare.key
  return all
    .filter((b) => b.compare && b.compare.key === key && b.compare.system !== 'weir')
    .map((b) => `${b.compare!.system} ${fmtRatio(mine / comparable(b))}`)
}

export function fmtRatio(r: number): string {
  return Number.isFinite(r) ? `${r < 10 ? r.toFixed(2) : r.toFixed(0)}×` : '-'
}

function metText(met: boolean | null | undefined): string {
  if (met === true) return 'yes'
  if (met === false) return 'NO'
  return '-'
}

const COLUMNS = [
  ['scenario', 52],
  ['n', 6],
  ['p50', 10],
  ['p95 / p99', 20],
  ['max or rate', 16],
  ['target', 26],
  ['met', 4],
] as const

function line(cells: ReadonlyArray<string>): string {
  return cells
    .map((c, i) => {
      const w = COLUMNS[i]?.[1] ?? 0
      return i === 0 || i === 5 ? c.padEnd(w) : c.padStart(w)
    })
    .join(' ')
    .trimEnd()
}

export function formatRow(row: Row, all: ReadonlyArray<Row>): string {
  const l = row.latency
  const ratios = ratiosFor(row, all)
  return line([
    `${row.scenario} ${row.name}`,
    l ? String(l.n) : '',
    l ? fmt(l.p50) : '',
    l ? `${fmt(l.p95)} / ${fmt(l.p99)}` : '',
    l ? fmt(l.max) : row.value ? `${fmtNumber(row.value.amount, 2)} ${row.value.unit}` : '',
    row.target ?? '',
    metText(row.met),
    ratios.length > 0 ? `Weir ÷ ${ratios.join(', ')}` : '',
  ])
}

/** One table: a title, the header, and the rows in the order given. */
export function formatTable(title: string, rows: ReadonlyArray<Row>, all = rows): string {
  const header = line([...COLUMNS.map(([name]) => name), 'vs baseline'])
  return [title, header, '-'.repeat(header.length), ...rows.map((r) => formatRow(r, all))].join(
    '\n',
  )
}

/** Judges a target on PostgreSQL only (targets are set for it); null elsewhere or on no data. */
export function judge(db: RowDb, ok: boolean | undefined): boolean | null {
  if (db !== 'pg' || ok === undefined) return null
  return ok
}
