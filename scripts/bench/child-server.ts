/**
 * `weir serve` as a child process, started as `npm start` starts it (the built `dist/main.js` with
 * the Node flags of package.json's start script; built first when dist/ is older than src/), so
 * its memory is its own: B14 reads /proc/<pid>/status. The port comes from its `listening` log line.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { stringify } from 'yaml'
import { BENCH_CONCURRENCY, WORKSPACE } from './weir-harness.ts'

const ROOT = resolve(import.meta.dirname, '../..')
const DIST_MAIN = join(ROOT, 'dist/main.js')

/** The `node` flags of `npm start` (package.json: "start": "node <flags> dist/main.js serve"). */
function startFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>
  }
  const words = (pkg.scripts.start ?? '').split(/\s+/)
  return words.slice(1, words.indexOf('dist/main.js')).filter((w) => w.startsWith('--'))
}

function newestMtime(dir: string): number {
  let newest = 0
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) newest = Math.max(newest, statSync(join(e.parentPath, e.name)).mtimeMs)
  }
  return newest
}

/** Builds dist/ (`npm run build`) unless it is newer than every file under src/. */
export function ensureBuilt(): void {
  const built = existsSync(DIST_MAIN) ? statSync(DIST_MAIN).mtimeMs : 0
  if (built > newestMtime(join(ROOT, 'src'))) return
  const r = spawnSync('npm', ['run', 'build'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  if (r.status !== 0) throw new Error('npm run build failed: B14 measures the built server')
}
const START_TIMEOUT_MS = 60_000

export interface ChildServer {
  readonly pid: number
  readonly base: string
  /** VmRSS, its private part (RssAnon) and VmHWM (peak) of the server process, in MiB. */
  memory(): { rssMiB: number; anonMiB: number; peakMiB: number }
  stop(): Promise<void>
}

/** One `<key>: <n> kB` field of /proc/<pid>/status (VmRSS, VmHWM, RssAnon, …); NaN if absent. */
export function readStatusKb(pid: number, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(
    readFileSync(`/proc/${pid}/status`, 'utf8'),
  )
  return m ? Number(m[1]) : NaN
}

/** The bench's environment minus Weir's own settings, so only the config file counts. */
function childEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('WEIR_') && k !== 'DATABASE_URL') env[k] = v
  }
  return env
}

type ConfigTree = { [key: string]: unknown }

function isTree(v: unknown): v is ConfigTree {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** `base` with `extra` laid over it: objects merge key by key, anything else replaces. */
export function mergeConfig(base: ConfigTree, extra: ConfigTree): ConfigTree {
  const out: ConfigTree = { ...base }
  for (const [k, v] of Object.entries(extra)) {
    const old = out[k]
    out[k] = isTree(old) && isTree(v) ? mergeConfig(old, v) : v
  }
  return out
}

export interface ChildServerOptions {
  /**
   * Settings merged over the bench's server-config.yaml (e.g. `embedded_worker: { enabled:
   * false }`, `worker_token`, `artifact_storage`). A function gets the server's temp folder,
   * which is removed on stop.
   */
  readonly config?: ConfigTree | ((dir: string) => ConfigTree)
}

export async function startChildServer(
  dbUrl: string | null,
  opts: ChildServerOptions = {},
): Promise<ChildServer> {
  const dir = mkdtempSync(join(tmpdir(), 'weir-bench-child-'))
  const configPath = join(dir, 'server-config.yaml')
  const base: ConfigTree = {
    listen: '127.0.0.1:0',
    log_level: 'info',
    db: dbUrl ? { url: dbUrl } : { data_dir: 'memory' },
    log_storage: { local_dir: join(dir, 'logs') },
    workspaces: { bench: { type: 'folder', path: WORKSPACE } },
    workspace_watch: false,
    embedded_worker: { concurrency: BENCH_CONCURRENCY },
    scheduler: { enabled: false },
    shutdown: { grace_ms: 2000 },
  }
  const extra = typeof opts.config === 'function' ? opts.config(dir) : (opts.config ?? {})
  writeFileSync(configPath, stringify(mergeConfig(base, extra)))
  ensureBuilt()
  const child = spawn(
    process.execPath,
    [...startFlags(), DIST_MAIN, 'serve', '--config', configPath],
    {
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  // The last output lines, for the error when it does not start (a fatal log goes to stdout).
  const output: string[] = []
  const keep = (line: string) => output.push(line) > 20 && output.shift()
  createInterface({ input: child.stderr }).on('line', keep)
  try {
    const port = await waitForStart(child, keep, () => output.join('\n').slice(-2000))
    return {
      pid: child.pid!,
      base: `http://127.0.0.1:${port}`,
      memory: () => ({
        rssMiB: readStatusKb(child.pid!, 'VmRSS') / 1024,
        anonMiB: readStatusKb(child.pid!, 'RssAnon') / 1024,
        peakMiB: readStatusKb(child.pid!, 'VmHWM') / 1024,
      }),
      stop: async () => {
        await stopChild(child)
        rmSync(dir, { recursive: true, force: true })
      },
    }
  } catch (e) {
    await stopChild(child)
    rmSync(dir, { recursive: true, force: true })
    throw e
  }
}

/** Resolves with the port once the server logged `listening` and then `ready`. */
function waitForStart(
  child: ChildProcess,
  keep: (line: string) => void,
  tail: () => string,
): Promise<number> {
  return new Promise((resolvePort, reject) => {
    let port = 0
    const timer = setTimeout(
      () => reject(new Error(`weir serve did not get ready in ${START_TIMEOUT_MS} ms: ${tail()}`)),
      START_TIMEOUT_MS,
    )
    createInterface({ input: child.stdout! }).on('line', (text) => {
      keep(text)
      let rec: { msg?: string; port?: number }
      try {
        rec = JSON.parse(text) as typeof rec
      } catch {
        return
      }
      if (rec.msg === 'listening' && typeof rec.port === 'number') port = rec.port
      if (rec.msg === 'ready') {
        clearTimeout(timer)
        resolvePort(port)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`weir serve exited with ${code} before it was ready: ${tail()}`))
    })
  })
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  await exited
  clearTimeout(timer)
}
