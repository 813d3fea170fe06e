/**
 * Browser tests: a real `weir serve` child process (embedded database; on PostgreSQL when
 * TEST_DATABASE_URL is set) and Debian's Chromium driven by playwright-core. The UI must be built
 * first (`npm run build:ui`, which `npm run test:browser` runs).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import {
  adminQuery,
  pgliteDumpPath,
  TEMPLATE_DB,
  TEST_DATABASE_URL,
  withDatabase,
} from '../helpers/test-db.ts'
import { waitFor } from '../helpers/wait-for.ts'

export const ROOT = resolve(import.meta.dirname, '../..')
export const EXAMPLE_WORKSPACE = join(ROOT, 'workspaces/default')
export const UI_WORKSPACE = join(ROOT, 'test/fixtures/ui')
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const SCREENSHOTS = join(ROOT, '.scratch/screenshots')

/** The launch flags for Chromium on this kind of machine (closed network, root, no GPU). */
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
]

/** Skips the calling suite when Chromium is missing, except in CI, where that is a failure. */
export function requireChromium(ctx: Mocha.Context): void {
  if (existsSync(CHROMIUM)) return
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing: scripts/ci.sh installs chromium`)
  process.stderr.write(`browser tests skipped: no ${CHROMIUM} (apt-get install -y chromium)\n`)
  ctx.skip()
}

export interface Server {
  readonly url: string
  readonly port: number
  readonly dir: string
  /** Stops the server: SIGTERM (graceful) or SIGKILL; resolves once the process has exited. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>
  /** Starts it again on the same port, database and log folder. */
  restart(): Promise<void>
  /** Stops it and removes its folder (and its PostgreSQL database). */
  dispose(): Promise<void>
}

export interface ServerOptions {
  readonly workspaces?: Record<string, string>
  /** Extra server-config.yaml lines (YAML, top level). */
  readonly config?: string
}

let counter = 0

export async function startServer(opts: ServerOptions = {}): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'weir-browser-'))
  const workspaces = opts.workspaces ?? { default: EXAMPLE_WORKSPACE, ui: UI_WORKSPACE }
  // A migrated database from the global setup (test/setup/global.ts): creating and migrating
  // an embedded one takes seconds, many more on a loaded machine.
  const pgdata = join(dir, 'pgdata')
  let dbLine = `db: { data_dir: ${JSON.stringify(pgdata)} }`
  let dbName: string | null = null
  if (TEST_DATABASE_URL) {
    dbName = `weir_browser_${process.pid}_${++counter}`
    await adminQuery(`CREATE DATABASE ${dbName} TEMPLATE ${TEMPLATE_DB}`)
    dbLine = `db: { url: ${JSON.stringify(withDatabase(TEST_DATABASE_URL, dbName))} }`
  } else {
    mkdirSync(pgdata)
    const untar = spawnSync('tar', ['-xzf', pgliteDumpPath(), '-C', pgdata])
    if (untar.status !== 0) throw new Error(`tar: ${String(untar.stderr)}`)
  }
  const config = [
    'log_level: info',
    dbLine,
    `log_storage: { local_dir: ${JSON.stringify(join(dir, 'logs'))} }`,
    'workspace_watch: false',
    'scheduler: { enabled: false }',
    'shutdown: { grace_ms: 500 }',
    'workspaces:',
    ...Object.entries(workspaces).map(
      ([name, path]) => `  ${name}: { type: folder, path: ${JSON.stringify(path)} }`,
    ),
    opts.config ?? '',
  ].join('\n')
  writeFileSync(join(dir, 'server-config.yaml'), config)

  let child: ChildProcess | null = null
  let port = 0
  const output: string[] = []

  const launch = async () => {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('WEIR_') && k !== 'DATABASE_URL'),
    )
    const proc = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'src/main.ts'),
        'serve',
        '--config',
        join(dir, 'server-config.yaml'),
        '--listen',
        `127.0.0.1:${port}`,
      ],
      { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    child = proc
    let ready = false
    let buffered = ''
    proc.stdout.setEncoding('utf8')
    proc.stdout.on('data', (chunk: string) => {
      buffered += chunk
      let nl: number
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        output.push(line)
        if (output.length > 200) output.shift()
        try {
          const rec = JSON.parse(line) as { msg?: string; port?: number }
          if (rec.msg === 'listening' && rec.port) port = rec.port
          if (rec.msg === 'ready') ready = true
        } catch {
          // not a log record
        }
      }
    })
    proc.stderr.setEncoding('utf8')
    proc.stderr.on('data', (chunk: string) => output.push(chunk))
    await waitFor(
      () => {
        if (proc.exitCode !== null)
          throw new Error(`weir serve exited with ${proc.exitCode}:\n${output.join('\n')}`)
        return ready
      },
      { timeoutMs: 60_000, intervalMs: 50, what: 'weir serve to be ready' },
    ).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${output.slice(-20).join('\n')}`)
    })
  }

  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    const proc = child
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
    const exited = new Promise<void>((r) => proc.once('exit', () => r()))
    proc.kill(signal)
    await exited
  }

  await launch()
  return {
    get url() {
      return `http://127.0.0.1:${port}`
    },
    get port() {
      return port
    },
    dir,
    stop,
    restart: launch,
    async dispose() {
      await stop('SIGTERM')
      if (dbName) await adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export interface Browser {
  readonly context: BrowserContext
  newPage(): Promise<Page>
  close(): Promise<void>
}

/** Chromium with a fresh profile; `colorScheme` picks the system setting the page sees. */
export async function launchBrowser(
  opts: { colorScheme?: 'light' | 'dark' } = {},
): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'weir-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1360, height: 900 },
    colorScheme: opts.colorScheme ?? 'light',
  })
  context.setDefaultTimeout(20_000)
  return {
    context,
    newPage: () => context.newPage(),
    async close() {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  const path = join(SCREENSHOTS, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}

/** Starts a job through the API and returns its id. */
export async function execute(
  server: Server,
  ws: string,
  task: string,
  input: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<string> {
  const res = await fetch(`${server.url}/api/workspaces/${ws}/tasks/${task}/execute`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ input }),
  })
  const body = (await res.json()) as { job_id?: string; error?: string }
  if (!body.job_id) throw new Error(`execute ${task}: ${res.status} ${body.error}`)
  return body.job_id
}

/** Every log line on the job page: step output and `_server` lines, as their seqs. */
export async function shownSeqs(page: Page): Promise<number[]> {
  return page.$$eval('.log-row[data-seq]', (rows) =>
    rows.map((r) => Number(r.getAttribute('data-seq'))),
  )
}
