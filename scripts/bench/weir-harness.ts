/**
 * Weir in the bench process: the real app (HTTP on a loopback port, engine, embedded worker) on a
 * fresh PostgreSQL database or an in-memory PGlite, plus a watcher that turns `job.finished`
 * events into per-job promises. The launcher is the configured one wrapped in a switch, so B6 can
 * flip the same server to no-op steps.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createApp, type App, type Services } from '../../src/app.ts'
import { loadConfig } from '../../src/config/load-config.ts'
import { silentLogger, type Logger } from '../../src/shared/logger.ts'
import { createJsonClient } from './http-client.ts'
import { createNoopLauncher, createSwitchLauncher, type SwitchLauncher } from './noop-launcher.ts'

export const WORKSPACE = resolve(import.meta.dirname, 'workspace')
/** Embedded worker slots in every bench server (B4 and B5 need more than the default 4). */
export const BENCH_CONCURRENCY = 16

export interface JobEnd {
  readonly status: string
  /** performance.now() when the event reached the bench. */
  readonly at: number
}

export interface WeirUnderTest {
  readonly app: App
  readonly runtime: Services
  readonly base: string
  readonly launcher: SwitchLauncher
  /** POST …/execute; resolves with the job id. */
  execute(task: string, input?: Record<string, unknown>): Promise<string>
  /** Resolves when the job's `job.finished` event arrives (also if it came before this call). */
  finished(jobId: string): Promise<JobEnd>
  /** execute + finished, timed on the client clock from before the request. */
  run(task: string, input?: Record<string, unknown>): Promise<{ ms: number; jobId: string }>
  detail(jobId: string): Promise<JobDetail>
  stop(): Promise<void>
}

export interface JobDetail {
  readonly status: string
  readonly created_at: string
  readonly started_at: string | null
  readonly completed_at: string | null
  readonly steps: ReadonlyArray<{
    readonly step_name: string
    readonly started_at: string | null
    readonly completed_at: string | null
  }>
}

/** Finished jobs and waiters keyed by job id; an entry goes once it has been consumed. */
class JobWatcher {
  readonly #ended = new Map<string, JobEnd>()
  readonly #waiting = new Map<string, (e: JobEnd) => void>()
  count = 0

  onFinished(jobId: string, status: string): void {
    const end = { status, at: performance.now() }
    this.count++
    const w = this.#waiting.get(jobId)
    if (w) {
      this.#waiting.delete(jobId)
      w(end)
    } else this.#ended.set(jobId, end)
  }

  wait(jobId: string): Promise<JobEnd> {
    const end = this.#ended.get(jobId)
    if (end) {
      this.#ended.delete(jobId)
      return Promise.resolve(end)
    }
    return new Promise((r) => this.#waiting.set(jobId, r))
  }
}

export interface StartOptions {
  /** A PostgreSQL URL, or null for an in-memory PGlite. */
  readonly dbUrl: string | null
  /** Extra `WEIR__*` settings (e.g. the embedded worker off and a worker token). */
  readonly env?: Readonly<Record<string, string>>
  /** The server's logger (default: silent). */
  readonly logger?: Logger
}

export async function startWeir(opts: StartOptions): Promise<WeirUnderTest> {
  const logDir = mkdtempSync(join(tmpdir(), 'weir-bench-logs-'))
  const env: Record<string, string> = {
    WEIR__LISTEN: '127.0.0.1:0',
    WEIR__LOG_LEVEL: 'silent',
    WEIR__LOG_STORAGE__LOCAL_DIR: logDir,
    WEIR__DB__DATA_DIR: 'memory',
    WEIR__SCHEDULER__ENABLED: 'false',
    WEIR__EMBEDDED_WORKER__CONCURRENCY: String(BENCH_CONCURRENCY),
    WEIR__SHUTDOWN__GRACE_MS: '2000',
  }
  if (opts.dbUrl) env.WEIR__DB__URL = opts.dbUrl
  Object.assign(env, opts.env)
  const { config } = loadConfig({ env, cwd: tmpdir() })
  const holder: { launcher?: SwitchLauncher } = {}
  const app = await createApp(
    { ...config, workspaces: { bench: { type: 'folder', path: WORKSPACE } } },
    {
      logger: opts.logger ?? silentLogger(),
      env: { PATH: process.env.PATH ?? '' },
      launcherOverride: (configured) => (holder.launcher = createSwitchLauncher(configured)),
    },
  )
  const addr = await app.listen()
  const runtime = await app.ready
  await app.start()
  // No embedded worker (remote workers run the steps): a switch nobody uses.
  const workerOff = env.WEIR__EMBEDDED_WORKER__ENABLED === 'false'
  const launcher =
    holder.launcher ?? (workerOff ? createSwitchLauncher(createNoopLauncher()) : null)
  if (!launcher) throw new Error('the engine did not take the launcher override')
  const watcher = new JobWatcher()
  runtime.events.bus.on('events', (evs) => {
    for (const e of evs) {
      if (e.type === 'job.finished') {
        const d = e.data as { job_id: string; status: string }
        watcher.onFinished(d.job_id, d.status)
      }
    }
  })
  const base = `http://127.0.0.1:${addr.port}`
  const client = createJsonClient(base)
  const execute = async (task: string, input: Record<string, unknown> = {}) => {
    const res = await client.post(`/api/workspaces/bench/tasks/${task}/execute`, { input })
    const body = res.body as { job_id?: string; error?: string } | null
    if (res.status < 200 || res.status > 299 || !body?.job_id)
      throw new Error(`execute ${task}: ${res.status} ${body?.error}`)
    return body.job_id
  }
  return {
    app,
    runtime,
    base,
    launcher,
    execute,
    finished: (jobId) => watcher.wait(jobId),
    async run(task, input) {
      const t0 = performance.now()
      const jobId = await execute(task, input)
      const end = await watcher.wait(jobId)
      if (end.status !== 'completed') throw new Error(`job ${jobId} of ${task} ended ${end.status}`)
      return { ms: end.at - t0, jobId }
    },
    async detail(jobId) {
      return (await client.get(`/api/jobs/${jobId}`)).body as JobDetail
    },
    async stop() {
      client.close()
      await app.stop()
      rmSync(logDir, { recursive: true, force: true })
    },
  }
}

/** Milliseconds between two ISO timestamps of a job detail (server clock). */
export function spanMs(from: string | null, to: string | null): number {
  return from && to ? Date.parse(to) - Date.parse(from) : NaN
}
