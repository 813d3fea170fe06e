/**
 * `npm run bench [-- --quick] [-- --db pg|pglite|both]`: runs Weir in this process against the
 * local PostgreSQL and the embedded database, and measures, with same-run baselines:
 *   B1  1-step `echo` job, execute -> completed (client clock and server timestamps)
 *   B3  20-step chain: total, and per-step overhead (step i finished -> step i+1 started)
 *   baselines: `sh -c 'echo hi'` through the same launcher; one INSERT+COMMIT round trip.
 * Prints a table and writes bench-results/<scenario>-<db>.json.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { createApp, type App } from '../../src/app.ts'
import { loadConfig } from '../../src/config/load-config.ts'
import { silentLogger } from '../../src/shared/logger.ts'
import { createSpawnerLauncher } from '../../src/worker/executors/spawner-launcher.ts'
import { runScript } from '../../src/worker/executors/script-executor.ts'
import { fmt, summarize, type Summary } from './stats.ts'

const { values } = parseArgs({
  options: { quick: { type: 'boolean' }, db: { type: 'string', default: 'both' } },
})
const QUICK = values.quick === true
const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const WORKSPACE = resolve(import.meta.dirname, 'workspace')
const OUT = resolve(import.meta.dirname, '../../bench-results')
const rows: Array<[string, string, Summary | null, string]> = []

function progress(msg: string): void {
  process.stderr.write(`  … ${msg}\n`)
}

async function freshPgDatabase(): Promise<string> {
  const admin = new pg.Client({ connectionString: PG_URL })
  await admin.connect()
  await admin.query('DROP DATABASE IF EXISTS weir_bench WITH (FORCE)')
  await admin.query('CREATE DATABASE weir_bench')
  await admin.end()
  const u = new URL(PG_URL)
  u.pathname = '/weir_bench'
  return u.toString()
}

async function startWeir(db: 'pg' | 'pglite'): Promise<{ app: App; base: string }> {
  const env: Record<string, string> = {
    WEIR__LISTEN: '127.0.0.1:0',
    WEIR__LOG_LEVEL: 'silent',
    WEIR__LOG_STORAGE__LOCAL_DIR: mkdtempSync(join(tmpdir(), 'weir-bench-logs-')),
    WEIR__DB__DATA_DIR: 'memory',
    WEIR__SCHEDULER__ENABLED: 'false',
  }
  if (db === 'pg') env.WEIR__DB__URL = await freshPgDatabase()
  const { config } = loadConfig({ env, cwd: tmpdir() })
  const app = await createApp(
    { ...config, workspaces: { bench: { type: 'folder', path: WORKSPACE } } },
    { logger: silentLogger(), env: { PATH: process.env.PATH ?? '' } },
  )
  const addr = await app.listen()
  await app.startEngine()
  return { app, base: `http://127.0.0.1:${addr.port}` }
}

/** Runs one job over HTTP and resolves when the engine reports it finished. */
async function runJob(
  app: App,
  base: string,
  task: string,
): Promise<{ ms: number; jobId: string }> {
  const { engine } = await app.ready
  const t0 = performance.now()
  let jobId = ''
  const done = new Promise<void>((resolveDone) => {
    const onEvents = (evs: ReadonlyArray<{ type: string; data: unknown }>) => {
      for (const e of evs) {
        if (e.type === 'job.finished' && (e.data as { job_id: string }).job_id === jobId) {
          engine.events.off('events', onEvents)
          resolveDone()
        }
      }
    }
    engine.events.on('events', onEvents)
  })
  const res = await fetch(`${base}/api/workspaces/bench/tasks/${task}/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  })
  jobId = ((await res.json()) as { job_id: string }).job_id
  await done
  return { ms: performance.now() - t0, jobId }
}

async function jobDetail(
  base: string,
  id: string,
): Promise<{
  created_at: string
  completed_at: string
  status: string
  steps: Array<{ started_at: string; completed_at: string }>
}> {
  return (await (await fetch(`${base}/api/jobs/${id}`)).json()) as never
}

async function benchDb(db: 'pg' | 'pglite'): Promise<void> {
  progress(`starting Weir on ${db}`)
  const { app, base } = await startWeir(db)
  try {
    const b1n = QUICK ? 200 : 1000
    for (let i = 0; i < 20; i++) await runJob(app, base, 'echo1')
    const client: number[] = []
    const server: number[] = []
    for (let i = 0; i < b1n; i++) {
      const { ms, jobId } = await runJob(app, base, 'echo1')
      client.push(ms)
      if (i % 10 === 0) {
        const d = await jobDetail(base, jobId)
        server.push(Date.parse(d.completed_at) - Date.parse(d.created_at))
      }
      if (i % 100 === 0) progress(`B1 ${db}: ${i}/${b1n}`)
    }
    rows.push([
      `B1 1-step echo (client)`,
      db,
      summarize(client),
      'target p50 ≤ 10 ms, p99 ≤ 40 ms (pg)',
    ])
    rows.push([`B1 1-step echo (server ts)`, db, summarize(server), ''])
    const totals: number[] = []
    const gaps: number[] = []
    const chains = QUICK ? 10 : 40
    for (let i = 0; i < chains; i++) {
      const { ms, jobId } = await runJob(app, base, 'chain20')
      totals.push(ms)
      const d = await jobDetail(base, jobId)
      const steps = [...d.steps].sort((a, b) => Date.parse(a.started_at) - Date.parse(b.started_at))
      for (let k = 1; k < steps.length; k++)
        gaps.push(Date.parse(steps[k]!.started_at) - Date.parse(steps[k - 1]!.completed_at))
    }
    progress(`B3 ${db}: ${chains} chains`)
    rows.push([`B3 20-step chain total`, db, summarize(totals), 'target ≤ 200 ms (pg)'])
    rows.push([`B3 step i done -> i+1 started`, db, summarize(gaps), 'target ≤ 5 ms (pg)'])
    writeFileSync(
      join(OUT, `b1-${db}.json`),
      JSON.stringify({ client: summarize(client), server: summarize(server) }, null, 2),
    )
    writeFileSync(
      join(OUT, `b3-${db}.json`),
      JSON.stringify({ total: summarize(totals), perStep: summarize(gaps) }, null, 2),
    )
  } finally {
    await app.stop()
  }
}

async function baselines(): Promise<void> {
  progress('baseline: spawn through the spawner launcher')
  const launcher = createSpawnerLauncher()
  const spawn: number[] = []
  for (let i = 0; i < (QUICK ? 200 : 500); i++) {
    const t0 = performance.now()
    await runScript(
      {
        language: 'shell',
        interpreter: null,
        script: 'echo hi',
        sourcePath: null,
        args: [],
        cwd: tmpdir(),
        env: { PATH: process.env.PATH ?? '' },
        timeoutMs: null,
      },
      { signal: new AbortController().signal, onLines: () => undefined, launcher },
    )
    spawn.push(performance.now() - t0)
  }
  await launcher.close()
  rows.push(['baseline: sh -c "echo hi" (spawner)', '-', summarize(spawn), 'floor for one step'])
  progress('baseline: INSERT + COMMIT on PostgreSQL')
  const c = new pg.Client({ connectionString: PG_URL })
  await c.connect()
  await c.query('CREATE TEMP TABLE bench_commit (id serial primary key, v text)')
  const commits: number[] = []
  for (let i = 0; i < (QUICK ? 300 : 1000); i++) {
    const t0 = performance.now()
    await c.query('BEGIN')
    await c.query("INSERT INTO bench_commit (v) VALUES ('x')")
    await c.query('COMMIT')
    commits.push(performance.now() - t0)
  }
  await c.end()
  rows.push([
    'baseline: INSERT+COMMIT round trip',
    'pg',
    summarize(commits),
    'floor for one transaction',
  ])
}

mkdirSync(OUT, { recursive: true })
console.log(
  `Weir benchmark (${QUICK ? 'quick' : 'full'}) — ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
)
await baselines()
const dbs = values.db === 'both' ? (['pg', 'pglite'] as const) : [values.db as 'pg' | 'pglite']
for (const db of dbs) await benchDb(db)
console.log('')
console.log(
  `${'scenario'.padEnd(36)} ${'db'.padEnd(7)} ${'n'.padStart(5)} ${'p50'.padStart(10)} ${'p95'.padStart(10)} ${'p99'.padStart(10)} ${'max'.padStart(10)}  note`,
)
for (const [name, db, s, note] of rows) {
  console.log(
    `${name.padEnd(36)} ${db.padEnd(7)} ${String(s?.n ?? '').padStart(5)} ${fmt(s?.p50 ?? NaN).padStart(10)} ${fmt(s?.p95 ?? NaN).padStart(10)} ${fmt(s?.p99 ?? NaN).padStart(10)} ${fmt(s?.max ?? NaN).padStart(10)}  ${note}`,
  )
}
process.exit(0)
