/**
 * Composition root for `weir serve`: builds every part from the config, wires dependencies
 * explicitly and registers each resource's cleanup on a LIFO stack.
 *
 * The HTTP server can listen before the database is open (the embedded one takes seconds to
 * start): workspace routes answer at once, database-backed routes wait for `ready`, and /readyz
 * says `starting` until then.
 */
import { createServer, STATUS_CODES, type Server } from 'node:http'
import type { Duplex } from 'node:stream'
import type { AddressInfo } from 'node:net'
import type Koa from 'koa'
import type Router from '@koa/router'
import type { ApiDeps, ReadinessReport } from './api/api-deps.ts'
import { createApi } from './api/create-api.ts'
import { createAuditRecorder } from './api/audit-recorder.ts'
import { upgradeRefusal } from './api/middleware/auth.ts'
import { deferAuthRuntime } from './auth/auth-runtime.ts'
import type { Config } from './config/config-schema.ts'
import type { Database } from './db/create-db.ts'
import type { Runtime } from './runtime.ts'
import { renderTemplate } from './templates/render.ts'
import { systemClock, type Clock } from './shared/clock.ts'
import { coerceError, UnavailableError } from './shared/errors.ts'
import type { Logger } from './shared/logger.ts'
import { createMetrics } from './metrics/metrics.ts'
import { Releasers } from './shared/releasers.ts'
import { loadWorkspace } from './workspace/load-workspace.ts'
import { WorkspaceRegistry } from './workspace/workspace-registry.ts'
import { WorkspaceWatcher } from './workspace/workspace-watcher.ts'
import type { ProcessLauncher } from './runner/executors/process-launcher.ts'
import type { RuntimeTuning } from './runtime-tuning.ts'

export interface AppOptions {
  readonly logger: Logger
  /** The process environment (steps inherit it, minus Weir's own settings). */
  readonly env?: Readonly<Record<string, string | undefined>>
  readonly clock?: Clock
  /** An already open database (tests); otherwise opened from config.db. */
  readonly database?: Database
  /**
   * Replaces the embedded worker's process launcher; receives the one the config selects. For
   * benchmarks (a launcher that completes steps without spawning): the config cannot set it.
   */
  readonly launcherOverride?: (configured: ProcessLauncher) => ProcessLauncher
  /** Timings the config does not expose (tests, benchmarks). */
  readonly tuning?: RuntimeTuning
  /** Node's default process metrics on /metrics (default true). */
  readonly defaultMetrics?: boolean
}

export type { Runtime }

export interface App {
  readonly api: Koa
  /** The API's route table (tests walk it to check that every /api route is guarded). */
  readonly router: Router
  readonly config: Config
  readonly registry: WorkspaceRegistry
  /** Resolves once the database is migrated and the engine is built (rejects if that failed). */
  readonly ready: Promise<Runtime>
  /** Starts listening on config.listen; resolves with the bound address. */
  listen(): Promise<AddressInfo>
  /** Starts the embedded worker, sweeper and listeners (after `ready`). */
  startEngine(): Promise<void>
  stop(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

export async function createApp(config: Config, opts: AppOptions): Promise<App> {
  const { logger } = opts
  const clock = opts.clock ?? systemClock
  const releasers = new Releasers()
  let shuttingDown = false
  const registry = new WorkspaceRegistry({
    sources: config.workspaces,
    loader: (name, root) => loadWorkspace(name, root),
    logger: logger.child({ component: 'workspaces' }),
  })
  // Loaded after the caller can listen: the database stack is the slowest part of start-up.
  const ready = import('./runtime.ts').then(({ initRuntime }) =>
    initRuntime({
      config,
      logger,
      env: opts.env ?? {},
      database: opts.database,
      launcherOverride: opts.launcherOverride,
      tuning: opts.tuning,
      registry,
      clock,
      releasers,
    }),
  )
  let dbState = 'starting'
  ready.then(
    () => (dbState = 'ok'),
    (e: unknown) => (dbState = `error: ${coerceError(e).message}`),
  )
  await registry.loadAll()
  if (config.workspace_watch) {
    const watcher = new WorkspaceWatcher({
      registry,
      logger: logger.child({ component: 'workspaces' }),
    })
    watcher.start()
    releasers.add('workspace watcher', () => watcher.stop())
  }

  const rt = async (): Promise<Runtime> => {
    try {
      return await ready
    } catch (e) {
      throw new UnavailableError('the database is not available; see the server log', e)
    }
  }
  let started = false
  const readiness = async (): Promise<ReadinessReport> => {
    const state = dbState
    const database = state === 'ok' ? await (await ready).checkDatabase() : state
    const checks = {
      database,
      migrations: state === 'ok' ? 'ok' : state,
      workspaces: registry.allTried() ? 'ok' : 'loading',
    }
    const ok = !shuttingDown && started && Object.values(checks).every((v) => v === 'ok')
    return { ready: ok, shuttingDown, checks }
  }
  const metrics = createMetrics({
    nowMs: () => clock.nowMs(),
    defaultMetrics: opts.defaultMetrics ?? true,
    snapshot: async () => (dbState === 'ok' ? (await ready).metricsCounts() : null),
  })
  ready.then(
    (r) => r.engine.events.on('events', (evs) => metrics.observeEvents(evs)),
    () => undefined,
  )
  const authParts = deferAuthRuntime(async () => (await rt()).auth, config.auth !== undefined)
  const deps: ApiDeps = {
    registry,
    clock,
    logger,
    readiness,
    triggerFires: async (ws) => (await rt()).api.triggerFires(ws),
    engine: {
      createJob: async (req) => (await rt()).api.engine.createJob(req),
      cancelJob: async (id) => (await rt()).api.engine.cancelJob(id),
    },
    jobs: {
      get: async (id) => (await rt()).api.jobs.get(id),
      steps: async (id) => (await rt()).api.jobs.steps(id),
      list: async (f) => (await rt()).api.jobs.list(f),
    },
    logs: { read: async (jobId, o) => (await rt()).api.logs.read(jobId, o) },
    events: async () => (await rt()).engine.eventStreams,
    jobMask: async (job) => (await rt()).engine.jobSecrets.of(job),
    renderWithSecrets: (ws, tpl) => renderTemplate(tpl, { secret: ws.secrets }),
    metrics,
    metricsToken: config.metrics.token ?? null,
    auth: authParts.auth,
    accounts: authParts.accounts,
    audit: createAuditRecorder(authParts.accounts, logger.child({ component: 'audit' })),
    workers: {
      list: async (f) => (await rt()).engine.workerLifecycle.list(f),
      get: async (id) => (await rt()).engine.workerLifecycle.get(id),
      drain: async (id, reason) => (await rt()).engine.workerLifecycle.operatorDrain(id, reason),
      undrain: async (id) => (await rt()).engine.workerLifecycle.operatorUndrain(id),
      revoke: async (id) => (await rt()).engine.workerLifecycle.operatorRevoke(id),
    },
    workerProtocol: {
      settings: {
        heartbeatIntervalSecs: config.workers.heartbeat_interval_secs,
        leaseTtlSecs: config.workers.lease_ttl_secs,
        maxClaimWaitSecs: config.workers.max_claim_wait_secs,
      },
      api: async () => {
        const { engine } = await rt()
        return { lifecycle: engine.workerLifecycle, steps: engine.remoteSteps }
      },
    },
  }
  const { app: api, router } = createApi(deps)

  let server: Server | null = null
  let stopping: Promise<void> | null = null
  const app: App = {
    api,
    router,
    config,
    registry,
    ready,
    async listen() {
      const handle = api.callback()
      const srv = createServer((req, res) => void handle(req, res))
      server = srv
      srv.on('upgrade', (req, socket, head) => {
        if (dbState === 'ok' && !shuttingDown) {
          ready
            .then(async ({ engine }) => {
              // Same credentials and role rules as the HTTP routes under /api.
              const refused = await upgradeRefusal(deps.auth, req)
              if (refused) rejectUpgrade(socket, refused.status, refused.code, refused.message)
              else if (!engine.logSocket.handleUpgrade(req, socket, head))
                rejectUpgrade(socket, 404, 'not_found', 'no WebSocket endpoint at this path')
            })
            .catch((err: unknown) => {
              logger.error({ err: coerceError(err) }, 'upgrade failed')
              rejectUpgrade(socket, 500, 'internal', 'Internal server error')
            })
        } else {
          rejectUpgrade(
            socket,
            503,
            'unavailable',
            'the server is starting or stopping; retry shortly',
          )
        }
      })
      const { host, port } = parseListen(config.listen)
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject)
        srv.listen(port, host, () => resolve())
      })
      const address = srv.address() as AddressInfo
      logger.info({ address: address.address, port: address.port }, 'listening')
      return address
    },
    async startEngine() {
      const { engine } = await ready
      await engine.start()
      started = true
    },
    stop() {
      shuttingDown = true
      stopping ??= (async () => {
        // Waiting long-poll claims answer 204 now, so closing the server does not wait on them.
        if (dbState === 'ok') (await ready).engine.remoteSteps.close()
        // Streams never end by themselves, and the server's close waits for them: end them first
        // (SSE responses end, sockets get 1001); clients resume with Last-Event-ID / after_seq.
        if (dbState === 'ok') {
          const { engine } = await ready
          engine.eventStreams.close()
          await engine.logSocket.close()
        }
        // New requests stop first; then the engine, log store and database unwind (LIFO).
        if (server) await closeServer(server)
        await ready.catch(() => undefined)
        await releasers.releaseAll((name, err) =>
          logger.error({ err, resource: name }, 'cleanup failed'),
        )
      })()
      return stopping
    },
    [Symbol.asyncDispose]() {
      return app.stop()
    },
  }
  return app
}

/** Answers an upgrade request we do not take with a plain HTTP error in the API's envelope. */
function rejectUpgrade(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: message, code })
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}

export function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':')
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '')
  return { host: host === '' ? '0.0.0.0' : host, port: Number(listen.slice(i + 1)) }
}

/** Stops accepting connections, lets in-flight requests finish, then closes idle keep-alives. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    // Keep-alive clients (remote workers heartbeat every few seconds) would hold their sockets
    // busy for the whole grace: close each one as soon as its current request is answered.
    const idle = setInterval(() => server.closeIdleConnections(), 50).unref()
    const all = setTimeout(() => server.closeAllConnections(), 5000).unref()
    server.close(() => {
      clearInterval(idle)
      clearTimeout(all)
      resolve()
    })
    server.closeIdleConnections()
  })
}
