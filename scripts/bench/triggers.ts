/**
 * `npm run bench:triggers [-- --triggers 200] [-- --seconds 60] [-- --db pg|pglite|both]`:
 * runs Weir in this process with N triggers firing every second (a one-step `true` task), for
 * the given duration, then reads the jobs table and reports, per database:
 *   lateness  job created_at minus the nominal slot (p50/p95/p99/max)
 *   missed    slots of the measured window that have no job
 *   dupes     fire keys seen more than once (the unique index makes this impossible; counted anyway)
 * Prints a table and writes bench-results/triggers-<db>.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { createApp, type App } from '../../src/app.ts'
import { loadConfig } from '../../src/config/load-config.ts'
import { createLogger, silentLogger } from '../../src/shared/logger.ts'
import { fmt, summarize, type Summary } from './stats.ts'
import { positiveArg, progress } from './standalone.ts'

const { values } = parseArgs({
  options: {
    triggers: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '60' },
    db: { type: 'string', default: 'both' },
    worker: { type: 'string', default: 'on' },
    verbose: { type: 'boolean', default: false },
  },
})
const TRIGGERS = positiveArg(values.triggers, 'triggers')
const SECONDS = positiveArg(values.seconds, 'seconds')
const WORKER = values.worker !== 'off'
const DBS: Array<'pg' | 'pglite'> =
  values.db === 'both' ? ['pg', 'pglite'] : values.db === 'pg' ? ['pg'] : ['pglite']
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const BENCH_DB = 'weir_bench_triggers'
const OUT = resolve(import.meta.dirname, '../../bench-results')
/** Slots after the window still get this long to fire before the jobs are read. */
const SETTLE_MS = 3000

/** A fresh database beside the admin one (never tables in the admin database itself). */
async function freshPgDatabase(): Promise<string> {
  const admin = new pg.Client({ connectionString: ADMIN_URL })
  await admin.connect()
  await admin.query(`DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`)
  await admin.query(`CREATE DATABASE ${BENCH_DB}`)
  await admin.end()
  const u = new URL(ADMIN_URL)
  u.pathname = `/${BENCH_DB}`
  return u.toString()
}

function writeWorkspace(n: number): string {
  const root = mkdtempSync(join(tmpdir(), 'weir-bench-triggers-'))
  mkdirSync(join(root, '.workflows'))
  const lines = [
    'actions:',
    '  noop: { type: script, script: "true" }',
    'tasks:',
    '  tick:',
    '    flow:',
    '      only: { action: noop }',
    'triggers:',
  ]
  for (let i = 0; i < n; i++) {
    const name = `t${String(i).padStart(4, '0')}`
    lines.push(`  ${name}: { type: scheduler, cron: "*/1 * * * * *", task: tick }`)
  }
  writeFileSync(join(root, '.workflows', 'triggers.yaml'), `${lines.join('\n')}\n`)
  return root
}

async function startWeir(db: 'pg' | 'pglite', workspace: string): Promise<App> {
  const env: Record<string, string> = {
    WEIR__LISTEN: '127.0.0.1:0',
    WEIR__LOG_STORAGE__LOCAL_DIR: mkdtempSync(join(tmpdir(), 'weir-bench-logs-')),
    WEIR__DB__DATA_DIR: 'memory',
    WEIR__SCHEDULER__ENABLED: 'true',
    WEIR__EMBEDDED_WORKER__ENABLED: String(WORKER),
  }
  if (db === 'pg') env.WEIR__DB__URL = await freshPgDatabase()
  const { config } = loadConfig({ env, cwd: tmpdir() })
  const app = await createApp(
    { ...config, workspaces: { bench: { type: 'folder', path: workspace } } },
    {
      logger: values.verbose ? createLogger({ level: 'info' }) : silentLogger(),
      env: { PATH: process.env.PATH ?? '' },
    },
  )
  await app.ready
  await app.start()
  return app
}

function until(atMs: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, atMs - Date.now())))
}

interface TriggerResult {
  readonly db: string
  readonly triggers: number
  readonly windowSecs: number
  readonly expectedSlots: number
  readonly firedInWindow: number
  readonly missed: number
  readonly duplicates: number
  readonly lateness: Summary
  readonly jobsCompleted: number
  readonly jobsTotal: number
}

async function benchDb(db: 'pg' | 'pglite', workspace: string): Promise<TriggerResult> {
  progress(`starting Weir on ${db} with ${TRIGGERS} triggers`)
  const app = await startWeir(db, workspace)
  try {
    const { database } = await app.ready
    // The window starts on a whole second, once the triggers are in trigger_state.
    const start = Math.ceil(Date.now() / 1000) * 1000 + 2000
    const end = start + SECONDS * 1000
    progress(`measuring ${SECONDS} s of slots from ${new Date(start).toISOString()}`)
    await until(end + SETTLE_MS)
    const rows = await database.db
      .selectFrom('jobs')
      .select(['fire_key', 'created_at', 'status'])
      .where('source_type', '=', 'trigger')
      .execute()
    return measure(db, rows, start, end)
  } finally {
    progress(`stopping Weir on ${db}`)
    await app.stop()
  }
}

function measure(
  db: string,
  rows: ReadonlyArray<{ fire_key: string | null; created_at: Date; status: string }>,
  start: number,
  end: number,
): TriggerResult {
  const seen = new Map<string, number>()
  const lateness: number[] = []
  for (const r of rows) {
    if (r.fire_key === null) continue
    seen.set(r.fire_key, (seen.get(r.fire_key) ?? 0) + 1)
    const slot = Date.parse(r.fire_key.slice(r.fire_key.lastIndexOf('/') + 1))
    if (slot >= start && slot < end) lateness.push(r.created_at.getTime() - slot)
  }
  let missed = 0
  for (let i = 0; i < TRIGGERS; i++) {
    const name = `t${String(i).padStart(4, '0')}`
    for (let t = start; t < end; t += 1000) {
      if (!seen.has(`bench/${name}/${new Date(t).toISOString()}`)) missed++
    }
  }
  const duplicates = [...seen.values()].reduce((a, n) => a + (n - 1), 0)
  return {
    db,
    triggers: TRIGGERS,
    windowSecs: SECONDS,
    expectedSlots: TRIGGERS * SECONDS,
    firedInWindow: lateness.length,
    missed,
    duplicates,
    lateness: summarize(lateness),
    jobsCompleted: rows.filter((r) => r.status === 'completed').length,
    jobsTotal: rows.length,
  }
}

function printTable(results: ReadonlyArray<TriggerResult>): void {
  const head = ['db', 'slots', 'fired', 'missed', 'dupes', 'p50', 'p95', 'p99', 'max', 'done/jobs']
  const body = results.map((r) => [
    r.db,
    String(r.expectedSlots),
    String(r.firedInWindow),
    String(r.missed),
    String(r.duplicates),
    fmt(r.lateness.p50),
    fmt(r.lateness.p95),
    fmt(r.lateness.p99),
    fmt(r.lateness.max),
    `${r.jobsCompleted}/${r.jobsTotal}`,
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  console.log(
    `\nTrigger lateness (job created_at - nominal slot), ${TRIGGERS} triggers x ${SECONDS} s`,
  )
  console.log(line(head))
  for (const row of body) console.log(line(row))
  console.log(`machine: ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB`)
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true })
  const workspace = writeWorkspace(TRIGGERS)
  const results: TriggerResult[] = []
  try {
    for (const db of DBS) {
      const r = await benchDb(db, workspace)
      results.push(r)
      const stamp = new Date().toISOString().replace(/[:.]/g, '-')
      const file = join(OUT, `triggers-${db}-${stamp}.json`)
      writeFileSync(file, JSON.stringify({ ...r, worker: WORKER, at: stamp }, null, 2))
      progress(`wrote ${file}`)
    }
  } finally {
    rmSync(workspace, { recursive: true, force: true })
  }
  printTable(results)
}

await main()
