/**
 * The real app for a test file: its own database (test-db.ts), a temp log dir, the given
 * workspaces, the embedded worker running. Drive it with supertest(app.api.callback()).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import supertest from 'supertest'
import { createApp, type App, type AppOptions } from '../../src/app.ts'
import type { Config } from '../../src/config/config-schema.ts'
import { loadConfig } from '../../src/config/load-config.ts'
import { silentLogger } from '../../src/shared/logger.ts'
import { createTestDb, truncateAll, type TestDatabase } from './test-db.ts'
import { waitFor } from './wait-for.ts'

export const EXAMPLE_WORKSPACE = resolve(import.meta.dirname, '../../workspaces/default')
export const FIXTURES = resolve(import.meta.dirname, '../fixtures/workspaces')

export interface TestApp {
  readonly app: App
  readonly database: TestDatabase
  readonly request: () => supertest.Agent
  readonly logDir: string
  close(): Promise<void>
  reset(): Promise<void>
}

export async function buildTestApp(
  opts: {
    workspaces?: Record<string, string>
    env?: Record<string, string>
    worker?: boolean
    scheduler?: boolean
    launcherOverride?: AppOptions['launcherOverride']
    tuning?: AppOptions['tuning']
    /** Another app's database and log dir (a second replica, or a restart): left open on close. */
    shared?: { database: TestDatabase; logDir: string }
    /** `host:port` to listen on (default 127.0.0.1:0). */
    listen?: string
    /** The built web UI to serve (default: the checkout's dist/ui). */
    uiDir?: string
    /**
     * A server-config.yaml to load (through the real loader, under the env above); its
     * workspaces are kept unless `workspaces` is given.
     */
    configFile?: string
    /** Changes the config last (git workspaces, libraries, anything `workspaces` cannot say). */
    configure?: (config: Config) => Config
  } = {},
): Promise<TestApp> {
  const database = opts.shared?.database ?? (await createTestDb())
  const logDir = opts.shared?.logDir ?? mkdtempSync(join(tmpdir(), 'weir-test-logs-'))
  const cacheDir = mkdtempSync(join(tmpdir(), 'weir-test-cache-'))
  const workspaces =
    opts.workspaces ?? (opts.configFile ? undefined : { default: EXAMPLE_WORKSPACE })
  const env: Record<string, string> = {
    WEIR__LOG_STORAGE__LOCAL_DIR: logDir,
    // Artifacts and state files beside the logs: shared with a replica, removed with the logs.
    WEIR__ARTIFACT_STORAGE__ARCHIVE__PATH: join(logDir, '.storage'),
    WEIR__LISTEN: opts.listen ?? '127.0.0.1:0',
    WEIR__EMBEDDED_WORKER__ENABLED: String(opts.worker ?? true),
    WEIR__SHUTDOWN__GRACE_MS: '2000',
    WEIR__SCHEDULER__ENABLED: String(opts.scheduler ?? false),
    WEIR__WORKSPACE_CACHE_DIR: cacheDir,
    ...opts.env,
  }
  const { config } = loadConfig({ env, cwd: tmpdir(), configPath: opts.configFile, flags: {} })
  const withWs = workspaces
    ? {
        ...config,
        workspaces: Object.fromEntries(
          Object.entries(workspaces).map(([k, p]) => [k, { type: 'folder' as const, path: p }]),
        ),
      }
    : config
  const app = await createApp(opts.configure ? opts.configure(withWs) : withWs, {
    logger: silentLogger(),
    database,
    env: { PATH: process.env.PATH ?? '' },
    defaultMetrics: false,
    launcherOverride: opts.launcherOverride,
    tuning: opts.tuning,
    uiDir: opts.uiDir,
  })
  await app.ready
  await app.start()
  const agent = supertest.agent(app.api.callback())
  return {
    app,
    database,
    logDir,
    request: () => agent,
    async reset() {
      await truncateAll(database)
    },
    async close() {
      await app.stop()
      rmSync(cacheDir, { recursive: true, force: true })
      if (opts.shared) return
      await database.close()
      rmSync(logDir, { recursive: true, force: true })
    },
  }
}

/** Waits until a job is terminal and returns its detail body. */
export async function waitForJob(
  t: TestApp,
  jobId: string,
  timeoutMs = 8000,
): Promise<Record<string, any>> {
  return waitFor(
    async () => {
      const res = await t.request().get(`/api/jobs/${jobId}`)
      const body = res.body as Record<string, any>
      return ['completed', 'failed', 'cancelled'].includes(body.status as string) ? body : undefined
    },
    { timeoutMs, intervalMs: 20, what: `job ${jobId} to finish` },
  )
}

export async function execute(
  t: TestApp,
  task: string,
  input?: unknown,
  ws = 'default',
): Promise<string> {
  const res = await t
    .request()
    .post(`/api/workspaces/${ws}/tasks/${task}/execute`)
    .send(input === undefined ? {} : { input })
  if (res.status !== 200)
    throw new Error(`execute ${task} -> ${res.status} ${JSON.stringify(res.body)}`)
  return (res.body as { job_id: string }).job_id
}
