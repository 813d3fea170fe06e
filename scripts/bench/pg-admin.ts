/**
 * The bench's own PostgreSQL access: fresh databases beside the admin URL's one (never tables in
 * it), server version and settings, and the per-database commit counter B7 reads.
 */
import pg from 'pg'

export const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** The admin URL pointed at another database on the same server. */
export function databaseUrl(name: string): string {
  const u = new URL(ADMIN_URL)
  u.pathname = `/${name}`
  return u.toString()
}

export async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: ADMIN_URL })
  await c.connect()
  try {
    return await fn(c)
  } finally {
    await c.end()
  }
}

/** Drops (with FORCE) and creates database `name`; returns its URL. */
export async function freshDatabase(name: string): Promise<string> {
  if (!/^weir_bench[a-z0-9_]*$/.test(name)) throw new Error(`refusing to recreate '${name}'`)
  await withAdmin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await c.query(`CREATE DATABASE ${name}`)
  })
  return databaseUrl(name)
}

export interface PgInfo {
  readonly version: string
  readonly settings: Record<string, string>
  readonly pgStatStatements: 'loaded' | 'available, not preloaded' | 'not available'
}

const SETTINGS = [
  'synchronous_commit',
  'shared_buffers',
  'fsync',
  'wal_level',
  'max_connections',
  'work_mem',
  'commit_delay',
  'full_page_writes',
  'shared_preload_libraries',
]

export async function loadPgInfo(): Promise<PgInfo> {
  return withAdmin(async (c) => {
    const version = (await c.query<{ v: string }>('SELECT version() AS v')).rows[0]!.v
    const rows = await c.query<{ name: string; setting: string }>(
      'SELECT name, current_setting(name) AS setting FROM pg_settings WHERE name = ANY($1)',
      [SETTINGS],
    )
    const settings: Record<string, string> = {}
    for (const r of rows.rows) settings[r.name] = r.setting
    const avail = await c.query(
      "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements'",
    )
    const preloaded = (settings.shared_preload_libraries ?? '').includes('pg_stat_statements')
    return {
      version,
      settings,
      pgStatStatements:
        avail.rowCount === 0 ? 'not available' : preloaded ? 'loaded' : 'available, not preloaded',
    }
  })
}

/**
 * Turns autovacuum off for every table of database `name` (a bench database, dropped on the next
 * run): its analyze and vacuum transactions would otherwise count as the server's commits.
 */
export async function disableAutovacuum(name: string): Promise<void> {
  const c = new pg.Client({ connectionString: databaseUrl(name) })
  await c.connect()
  try {
    await c.query(`DO $$ DECLARE t record; BEGIN
      FOR t IN SELECT schemaname, tablename FROM pg_tables
               WHERE schemaname NOT IN ('pg_catalog', 'information_schema') LOOP
        EXECUTE format('ALTER TABLE %I.%I SET (autovacuum_enabled = false)', t.schemaname, t.tablename);
      END LOOP; END $$`)
  } finally {
    await c.end()
  }
}

/** Committed transactions of database `name` so far (pg_stat_database). */
export async function xactCommits(c: pg.Client, name: string): Promise<number> {
  const r = await c.query<{ n: string }>(
    'SELECT xact_commit AS n FROM pg_stat_database WHERE datname = $1',
    [name],
  )
  return Number(r.rows[0]?.n ?? NaN)
}

/**
 * Waits until no session is connected to `name` and its counters stopped moving: a backend
 * flushes its statistics when it exits, idle ones only every 10 s (PostgreSQL 15).
 */
export async function settledCommits(
  c: pg.Client,
  name: string,
  timeoutMs = 10_000,
): Promise<number> {
  const deadline = performance.now() + timeoutMs
  let last = NaN
  while (performance.now() < deadline) {
    const busy = await c.query('SELECT 1 FROM pg_stat_activity WHERE datname = $1', [name])
    const now = await xactCommits(c, name)
    if (busy.rowCount === 0 && now === last) return now
    last = now
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`sessions on ${name} did not end within ${timeoutMs} ms`)
}

/**
 * Statement calls on database `name` from pg_stat_statements, read through a short session on
 * that database (the view lives where the extension is created). Only when the library is
 * preloaded: the phases that use it subtract an idle phase, which cancels this session's own calls.
 */
export async function statementCalls(name: string): Promise<number> {
  const c = new pg.Client({ connectionString: databaseUrl(name) })
  await c.connect()
  try {
    await c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements')
    const r = await c.query<{ n: string | null }>(
      'SELECT sum(calls) AS n FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1)',
      [name],
    )
    return Number(r.rows[0]?.n ?? 0)
  } finally {
    await c.end()
  }
}
