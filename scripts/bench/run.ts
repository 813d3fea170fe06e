/**
 * `npm run bench [-- --quick] [-- --db pg|pglite|both] [-- --only B1,B4,...]`: runs Weir against
 * the local PostgreSQL (fresh `weir_bench*` databases beside BENCH_DATABASE_URL's, never tables in
 * it) and an in-memory PGlite, with baselines measured in the same run (the floors of a spawn and
 * a commit; graphile-worker and pg-boss on the same PostgreSQL). Prints one table per database and
 * writes bench-results/<scenario>-<db>.json. docs/performance.md says what each scenario means.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { runGraphileBaseline } from './baselines/graphile.ts'
import { runPgBossBaseline } from './baselines/pgboss.ts'
import { runFloors } from './baselines/floors.ts'
import type { BenchContext, ScenarioResult } from './context.ts'
import { describeMachine, machineInfo, type MachineInfo } from './machine.ts'
import { parseBenchArgs, QUICK_PG_ONLY, runsOn, type DbKind, type ScenarioId } from './options.ts'
import { ADMIN_URL, freshDatabase, loadPgInfo } from './pg-admin.ts'
import { formatTable, type Row } from './report.ts'
import { runB17 } from './scenarios/big-lists.ts'
import { runB15, runB16 } from './scenarios/composition.ts'
import { runB6 } from './scenarios/engine-throughput.ts'
import { runB6Remote } from './scenarios/remote-throughput.ts'
import { runB7 } from './scenarios/db-cost.ts'
import { runB10 } from './scenarios/log-latency.ts'
import { runB14 } from './scenarios/memory.ts'
import { runB5 } from './scenarios/open-loop.ts'
import { runB1, runB3, runB4 } from './scenarios/sequential.ts'
import { startWeir, type WeirUnderTest } from './weir-harness.ts'

const OUT = resolve(import.meta.dirname, '../../bench-results')
const DB_TITLES: Record<DbKind, string> = { pg: 'PostgreSQL', pglite: 'PGlite (embedded)' }
/** Scenarios that share one in-process server per database, in the order they run. */
const IN_PROCESS: ReadonlyArray<
  [ScenarioId, (ctx: BenchContext, db: DbKind, weir: WeirUnderTest) => Promise<ScenarioResult>]
> = [
  ['B1', runB1],
  ['B3', runB3],
  ['B4', runB4],
  ['B10', runB10],
  ['B6', runB6],
  ['B15', runB15],
  ['B16', runB16],
  ['B5', runB5],
]

const parsed = parseBenchArgs(process.argv.slice(2))
if (!parsed.ok) {
  console.error(parsed.error)
  process.exit(2)
}
const options = parsed.options
const want = (id: ScenarioId) => options.only.has(id)
const usesPg = options.dbs.includes('pg')
const ctx: BenchContext = {
  quick: options.quick,
  progress: (msg) => process.stderr.write(`  … ${msg}\n`),
}
const rows: Row[] = []
const failures: string[] = []
const started = performance.now()
const machine: MachineInfo = machineInfo(
  usesPg
    ? await loadPgInfo().catch((e: unknown) => {
        console.error(
          `cannot reach PostgreSQL at ${ADMIN_URL} (${(e as Error).message}); ` +
            'set BENCH_DATABASE_URL or run with --db pglite',
        )
        process.exit(2)
      })
    : null,
)

/** Runs one scenario, keeps its rows and writes its JSON; a failure is reported, not fatal. */
async function scenario(
  file: string,
  db: string,
  fn: () => Promise<ScenarioResult>,
): Promise<void> {
  const t0 = performance.now()
  try {
    const result = await fn()
    ctx.progress(`${file} ${db}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    rows.push(...result.rows)
    writeFileSync(
      join(OUT, `${file}-${db}.json`),
      JSON.stringify(
        {
          scenario: file,
          db,
          quick: options.quick,
          at: new Date().toISOString(),
          machine,
          rows: result.rows,
          data: result.data,
        },
        null,
        2,
      ),
    )
  } catch (e) {
    const msg = `${file} ${db}: ${(e as Error).stack ?? String(e)}`
    failures.push(msg)
    ctx.progress(`FAILED ${msg}`)
  }
}

/** Says which selected scenarios --quick skips on this database. */
function reportQuickSkips(db: DbKind): void {
  for (const id of QUICK_PG_ONLY) {
    if (want(id) && !runsOn(options, id, db)) {
      ctx.progress(`${id} ${db}: skipped with --quick (run --db ${db})`)
    }
  }
}

async function inProcess(db: DbKind): Promise<void> {
  const chosen = IN_PROCESS.filter(([id]) => runsOn(options, id, db))
  if (chosen.length === 0) return
  ctx.progress(`starting Weir in this process on ${db}`)
  const weir = await startWeir({ dbUrl: db === 'pg' ? await freshDatabase('weir_bench') : null })
  try {
    for (const [id, fn] of chosen) await scenario(id.toLowerCase(), db, () => fn(ctx, db, weir))
  } finally {
    await weir.stop()
  }
}

mkdirSync(OUT, { recursive: true })
console.log(`Weir benchmark (${options.quick ? 'quick' : 'full'}) — ${describeMachine(machine)}`)
if (want('baselines')) {
  await scenario('baseline-floors', usesPg ? 'pg' : 'none', () => runFloors(ctx, usesPg))
  if (usesPg) {
    await scenario('baseline-graphile-worker', 'pg', () => runGraphileBaseline(ctx))
    await scenario('baseline-pg-boss', 'pg', () => runPgBossBaseline(ctx))
  }
}
for (const db of options.dbs) {
  reportQuickSkips(db)
  try {
    await inProcess(db)
  } catch (e) {
    failures.push(`Weir on ${db} did not start: ${(e as Error).message}`)
  }
  if (db === 'pg' && want('B6R')) await scenario('b6-remote', db, () => runB6Remote(ctx))
  if (db === 'pg' && want('B7')) {
    await scenario('b7', db, () => runB7(ctx, machine.postgres?.pgStatStatements === 'loaded'))
  }
  if (db === 'pg' && want('B17')) await scenario('b17', db, () => runB17(ctx))
  if (runsOn(options, 'B14', db)) {
    await scenario('b14', db, async () =>
      runB14(ctx, db, db === 'pg' ? await freshDatabase('weir_bench_b14') : null, {
        executions: options.b14Executions,
      }),
    )
  }
}

for (const db of options.dbs) {
  const mine = rows.filter((r) => r.db === db || r.db === '-')
  if (mine.length === 0) continue
  const ordered = [
    ...mine.filter((r) => r.scenario !== 'base'),
    ...mine.filter((r) => r.scenario === 'base'),
  ]
  console.log(`\n${formatTable(DB_TITLES[db], ordered, rows)}`)
}
console.log(
  `\nTargets are for PostgreSQL (met? is judged there only). "Weir ÷ x": Weir's value over the baseline's` +
    ` (latency: p50, lower is better; rates: higher is better).\nResults: ${OUT}/*.json; ${((performance.now() - started) / 1000).toFixed(1)} s in all.`,
)
for (const f of failures) console.log(`FAILED: ${f.split('\n')[0]}`)
process.exit(failures.length > 0 ? 1 : 0)
