/**
 * B17, lists at a million jobs (PostgreSQL): two servers side by side, one on an empty database
 * and one on a database seeded with 1,000,000 finished jobs (one step each; INSERT … SELECT
 * generate_series, then ANALYZE as autovacuum would). B1 alternates between them job by job, so
 * the hot path's cost of a big table is read beside an empty one in the same run; then every
 * filter combination GET /api/jobs allows is timed on the big one, first page and cursor page.
 *
 * The seed is skewed the way real installations are: one workspace holds 60 % of the jobs and
 * one of its tasks 40 %; statuses 90 % completed, 7 % failed, 3 % cancelled; sources 50 % api,
 * 30 % trigger, 10 % webhook, the rest user, hook, task. Rare and empty combinations are timed
 * too: they are the ones an index without the right columns scans in full.
 */
import pg from 'pg'
import type { BenchContext, ScenarioResult } from '../context.ts'
import { judge, type Row } from '../report.ts'
import { databaseUrl, freshDatabase } from '../pg-admin.ts'
import { summarize, type Summary } from '../stats.ts'
import { startWeir, type WeirUnderTest } from '../weir-harness.ts'

const SEEDED = 1_000_000
const DB_EMPTY = 'weir_bench_b17_empty'
const DB_BIG = 'weir_bench_b17'

/** One SQL statement: jobs, created 0.4 s apart and ending now, then one step per job. */
/**
 * One SQL statement: jobs created 0.4 s apart and ending now. Each dimension takes its own bits
 * of one hash of the row number, so the filters are independent of each other and of time.
 */
const SEED_SQL = `
  INSERT INTO jobs (id, workspace, task_name, mode, status, source_type, source_id, input,
                    revision, created_at, started_at, completed_at, log_last_seq)
  SELECT gen_random_uuid(),
         CASE WHEN w < 60 THEN 'big' ELSE 'ws' || (w % 40) END,
         CASE WHEN t < 40 THEN 'hot' ELSE 'task' || (t % 50) END,
         'distributed',
         CASE WHEN s < 90 THEN 'completed' WHEN s < 97 THEN 'failed' ELSE 'cancelled' END,
         CASE WHEN o < 50 THEN 'api' WHEN o < 80 THEN 'trigger' WHEN o < 90 THEN 'webhook'
              WHEN o < 95 THEN 'user' WHEN o < 98 THEN 'hook' ELSE 'task' END,
         NULL, '{}'::jsonb, 'seed', at, at, at + interval '10 ms', 0
  FROM (SELECT now() - make_interval(secs => ($1::int - i) * 0.4 + 1) AS at,
               (h & 1023) % 100 AS w, ((h >> 10) & 1023) % 100 AS t,
               ((h >> 20) & 1023) % 100 AS s, (((h >> 30) & 3) * 256 + (h2 & 255)) % 100 AS o
        FROM (SELECT i, hashint4(i) AS h, hashint4(-i) AS h2
              FROM generate_series(1, $1::int) AS i) hashed) rows`

const SEED_STEPS_SQL = `
  INSERT INTO step_runs (id, job_id, step_name, position, action_name, action_type, status,
                         spec, started_at, completed_at, exit_code)
  SELECT gen_random_uuid(), id, 'run', 0, 'echo', 'script',
         CASE status WHEN 'failed' THEN 'failed' WHEN 'cancelled' THEN 'cancelled' ELSE 'completed' END,
         '{}'::jsonb, started_at, completed_at, CASE status WHEN 'failed' THEN 1 ELSE 0 END
  FROM jobs`

/** The lists timed: every filter combination, common, rare and empty values, paging modes. */
const LISTS: ReadonlyArray<readonly [string, string]> = [
  ['no filter', ''],
  ['workspace (60 %)', 'workspace=big'],
  ['workspace (1 %)', 'workspace=ws7'],
  ['workspace + task (40 %)', 'workspace=big&task_name=hot'],
  ['workspace + task (0.2 %)', 'workspace=ws7&task_name=task7'],
  ['status=failed', 'status=failed'],
  ['status=failed,cancelled', 'status=failed,cancelled'],
  ['status=running (none)', 'status=running'],
  ['source_type=webhook', 'source_type=webhook'],
  ['source_type=rerun (none)', 'source_type=rerun'],
  ['workspace + status', 'workspace=big&status=failed'],
  ['workspace + task + status', 'workspace=big&task_name=hot&status=cancelled'],
  ['workspace + source', 'workspace=ws7&source_type=hook'],
  ['workspace + source (none)', 'workspace=big&source_type=rerun'],
  ['workspace + task + source', 'workspace=big&task_name=hot&source_type=task'],
  ['status + source', 'status=failed&source_type=webhook'],
  ['workspace + status + source', 'workspace=big&status=cancelled&source_type=user'],
  ['ws + task + status + source', 'workspace=big&task_name=hot&status=failed&source_type=webhook'],
  [
    'ws + task + status + source (none)',
    'workspace=big&task_name=hot&status=running&source_type=rerun',
  ],
  ['parent_job_id (none)', 'parent_job_id=00000000-0000-7000-8000-000000000000'],
  ['offset=10000', 'offset=10000'],
  ['limit=500, count=false', 'limit=500&count=false'],
]

async function seed(ctx: BenchContext, url: string, rows: number): Promise<number> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    const t0 = performance.now()
    // Building an index once over a million rows is many times faster than growing it row by
    // row: the secondary indexes go before the inserts and come back, the same, after them.
    const { rows: indexes } = await c.query<{ name: string; def: string }>(
      `SELECT indexname AS name, indexdef AS def FROM pg_indexes
        WHERE schemaname = current_schema() AND tablename IN ('jobs', 'step_runs')
          AND indexname NOT IN (SELECT conname FROM pg_constraint)`,
    )
    await c.query("SET maintenance_work_mem = '256MB'")
    for (const i of indexes) await c.query(`DROP INDEX "${i.name}"`)
    await c.query(SEED_SQL, [rows])
    await c.query(SEED_STEPS_SQL)
    for (const i of indexes) await c.query(i.def)
    ctx.progress(`B17: ${indexes.length} indexes rebuilt`)
    await c.query('VACUUM ANALYZE jobs')
    await c.query('VACUUM ANALYZE step_runs')
    const ms = performance.now() - t0
    ctx.progress(`B17: seeded ${rows} jobs and steps in ${(ms / 1000).toFixed(1)} s`)
    return ms
  } finally {
    await c.end()
  }
}

async function timedGet(base: string, query: string): Promise<{ ms: number; res: Response }> {
  const t0 = performance.now()
  const res = await fetch(`${base}/api/jobs${query ? `?${query}` : ''}`)
  await res.arrayBuffer()
  const ms = performance.now() - t0
  if (!res.ok) throw new Error(`GET /api/jobs?${query}: ${res.status}`)
  return { ms, res }
}

/** First page and the page after it (the first page's X-Next-Cursor), `reps` times each. */
async function timeList(
  base: string,
  query: string,
  reps: number,
): Promise<{ first: Summary; cursor: Summary | null; total: string }> {
  const first: number[] = []
  const next: number[] = []
  let total = '-'
  for (let i = 0; i < reps; i++) {
    const a = await timedGet(base, query)
    first.push(a.ms)
    const estimated = a.res.headers.get('x-total-count-estimated') === 'true'
    total = `${a.res.headers.get('x-total-count') ?? '-'}${estimated ? ' (estimate)' : ''}`
    const cursor = a.res.headers.get('x-next-cursor')
    if (cursor && !query.includes('offset=')) {
      const q = `${query}${query ? '&' : ''}cursor=${encodeURIComponent(cursor)}`
      next.push((await timedGet(base, q)).ms)
    }
  }
  return { first: summarize(first), cursor: next.length > 0 ? summarize(next) : null, total }
}

export async function runB17(ctx: BenchContext): Promise<ScenarioResult> {
  const emptyUrl = await freshDatabase(DB_EMPTY)
  const bigUrl = await freshDatabase(DB_BIG)
  const empty = await startWeir({ dbUrl: emptyUrl })
  let big: WeirUnderTest | null = null
  try {
    big = await startWeir({ dbUrl: bigUrl })
    const seedMs = await seed(ctx, databaseUrl(DB_BIG), SEEDED)
    for (let i = 0; i < 20; i++) {
      await empty.run('echo1')
      await big.run('echo1')
    }
    const pairs = ctx.quick ? 150 : 1000
    const onEmpty: number[] = []
    const onBig: number[] = []
    for (let i = 0; i < pairs; i++) {
      const [a, b] = i % 2 === 0 ? [empty, big] : [big, empty]
      const first = await a.run('echo1')
      const second = await b.run('echo1')
      ;(a === empty ? onEmpty : onBig).push(first.ms)
      ;(b === empty ? onEmpty : onBig).push(second.ms)
      if (i % 200 === 0) ctx.progress(`B17: B1 pairs ${i}/${pairs}`)
    }
    const e = summarize(onEmpty)
    const b = summarize(onBig)
    const rows: Row[] = [
      { scenario: 'B17', name: 'B1 on an empty database', db: 'pg', latency: e },
      {
        scenario: 'B17',
        name: `B1 beside it, ${SEEDED.toLocaleString('en')} jobs stored`,
        db: 'pg',
        latency: b,
        target: 'p50 within 10 % of empty',
        met: judge('pg', b.p50 <= e.p50 * 1.1),
      },
    ]
    const reps = ctx.quick ? 20 : 100
    const lists: Record<string, unknown> = {}
    for (const [name, query] of LISTS) {
      const r = await timeList(big.base, query, reps)
      lists[name] = { query, ...r }
      rows.push({
        scenario: 'B17',
        name: `list ${name}, first page [${r.total}]`,
        db: 'pg',
        latency: r.first,
        target: 'p99 ≤ 50 ms',
        met: judge('pg', r.first.p99 <= 50),
      })
      if (r.cursor) {
        rows.push({
          scenario: 'B17',
          name: `list ${name}, cursor page`,
          db: 'pg',
          latency: r.cursor,
          target: 'p99 ≤ 50 ms',
          met: judge('pg', r.cursor.p99 <= 50),
        })
      }
    }
    return { rows, data: { seeded: SEEDED, seedMs, b1Empty: e, b1Big: b, lists } }
  } finally {
    await empty.stop()
    await big?.stop()
  }
}
