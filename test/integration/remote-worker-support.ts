/**
 * Pieces for the remote worker end-to-end tests: a listening server with the embedded worker
 * off and a worker_token, `weir worker` child processes, and small HTTP/WebSocket clients.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import WebSocket from 'ws'
import { createApp, type App } from '../../src/app.ts'
import { silentLogger } from '../../src/shared/logger.ts'
import { buildTestApp, type TestApp } from '../helpers/test-app.ts'
import { waitFor } from '../helpers/wait-for.ts'

const ROOT = resolve(import.meta.dirname, '../..')
export const REMOTE_FIXTURE = resolve(ROOT, 'test/fixtures/remote')
export const TOKEN = 'remote-e2e-enrollment-token'

/** Short timers so losses are noticed within seconds (API.md §11.6 defaults are 3/10/10 s). */
export async function buildRemoteServer(): Promise<{ t: TestApp; port: number }> {
  const t = await buildTestApp({
    worker: false,
    workspaces: { remote: REMOTE_FIXTURE },
    env: {
      WEIR__WORKER_TOKEN: TOKEN,
      WEIR__WORKERS__HEARTBEAT_INTERVAL_SECS: '1',
      WEIR__WORKERS__LEASE_TTL_SECS: '4',
      WEIR__WORKERS__LOST_AFTER_SECS: '4',
    },
  })
  const { port } = await t.app.listen()
  return { t, port }
}

/** A second server process on the same database and port: what a restart looks like to workers. */
export async function restartServer(old: App, t: TestApp, port: number): Promise<App> {
  await old.stop()
  const app = await createApp(
    { ...old.config, listen: `127.0.0.1:${port}` },
    {
      logger: silentLogger(),
      database: t.database,
      env: { PATH: process.env.PATH ?? '' },
      defaultMetrics: false,
    },
  )
  await app.listen()
  await app.ready
  await app.start()
  return app
}

export class WorkerProcess {
  readonly name: string
  readonly stateDir: string
  readonly child: ChildProcess
  readonly exited: Promise<number | null>
  #out = ''

  constructor(name: string, child: ChildProcess, stateDir: string) {
    this.name = name
    this.child = child
    this.stateDir = stateDir
    child.stdout!.on('data', (d: Buffer) => (this.#out += d.toString()))
    child.stderr!.on('data', (d: Buffer) => (this.#out += d.toString()))
    this.exited = new Promise((r) => child.on('exit', (code) => r(code)))
  }

  get output(): string {
    return this.#out
  }

  /** The worker's JSON log lines. */
  logs(): any[] {
    return this.#out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l))
  }

  async started(): Promise<string> {
    const line = await waitFor(() => this.logs().find((l) => l.msg === 'worker started'), {
      timeoutMs: 20000,
      what: `worker ${this.name} to start`,
    })
    return line.workerId as string
  }

  /** The worker id from its state file. */
  get workerId(): string {
    return JSON.parse(readFileSync(resolve(this.stateDir, `${this.name}.json`), 'utf8')).worker_id
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig)
  }

  /** SIGTERM, then SIGKILL if it has not exited within 10 s; resolves with the exit code. */
  async stop(): Promise<number | null> {
    this.signal('SIGTERM')
    await waitFor(() => !this.running, { timeoutMs: 10000, what: `${this.name} to exit` }).catch(
      () => this.signal('SIGKILL'),
    )
    return this.exited
  }
}

export function spawnWorker(name: string, port: number, stateDir: string, extra: string[] = []) {
  return spawnWorkerWith(name, port, stateDir, [
    '--workspace-dir',
    `remote=${REMOTE_FIXTURE}`,
    ...extra,
  ])
}

/** A `weir worker` with only the flags given: no --workspace-dir, so it fetches the revisions it needs. */
export function spawnWorkerWith(name: string, port: number, stateDir: string, extra: string[]) {
  mkdirSync(stateDir, { recursive: true })
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      resolve(ROOT, 'src/main.ts'),
      'worker',
      '--server',
      `http://127.0.0.1:${port}`,
      '--token',
      TOKEN,
      '--name',
      name,
      '--concurrency',
      '4',
      '--grace-secs',
      '1',
      '--state-dir',
      stateDir,
      ...extra,
    ],
    {
      cwd: ROOT,
      // The worker's scratch folder goes under the test's folder: removed even after a kill -9.
      env: { PATH: process.env.PATH ?? '', TMPDIR: stateDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  return new WorkerProcess(name, child, stateDir)
}

export async function api(port: number, method: string, path: string, body?: unknown) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, body: text === '' ? null : JSON.parse(text) }
}

export async function execute(port: number, task: string, input: unknown = {}): Promise<string> {
  const res = await api(port, 'POST', `/api/workspaces/remote/tasks/${task}/execute`, { input })
  if (res.status !== 200)
    throw new Error(`execute ${task}: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body.job_id as string
}

export async function job(port: number, id: string): Promise<any> {
  return (await api(port, 'GET', `/api/jobs/${id}`)).body
}

export function waitForJob(port: number, id: string, timeoutMs = 20000): Promise<any> {
  return waitFor(
    async () => {
      const j = await job(port, id)
      return ['completed', 'failed', 'cancelled'].includes(j.status) ? j : undefined
    },
    { timeoutMs, intervalMs: 100, what: `job ${id} to finish` },
  )
}

/** Waits until the job's only step satisfies `ok` and returns that step. */
export function waitForStep(port: number, id: string, ok: (s: any) => boolean, what: string) {
  return waitFor(
    async () => {
      const s = (await job(port, id)).steps?.[0]
      return s && ok(s) ? s : undefined
    },
    { timeoutMs: 20000, intervalMs: 100, what },
  )
}

export async function serverLog(port: number, id: string): Promise<string> {
  return (await api(port, 'GET', `/api/jobs/${id}/steps/_server/logs`)).body.logs as string
}

/** Every message of the job's WebSocket log stream, until the server closes it. */
export function streamLogs(port: number, id: string): Promise<{ messages: any[]; code: number }> {
  return new Promise((resolvePromise, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/jobs/${id}/logs/stream`)
    const messages: any[] = []
    ws.on('message', (data) => messages.push(JSON.parse(String(data))))
    ws.on('close', (code) => resolvePromise({ messages, code }))
    ws.on('error', reject)
  })
}
