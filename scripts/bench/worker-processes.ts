/**
 * `weir worker` processes for the benches that measure remote workers (remote.ts,
 * remote-phases.ts, artifacts.ts, scenarios/remote-throughput.ts): started against a bench server
 * with the enrollment token that server is given, waited for until registered, stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'
import { sleep } from './context.ts'

/** The worker token of every bench server that remote workers join. */
export const BENCH_WORKER_TOKEN = 'bench-enrollment-token-0123456789'

const BIN = resolve(import.meta.dirname, '../../bin/weir.js')

export interface WorkerProcessOptions {
  readonly base: string
  readonly name: string
  readonly stateDir: string
  readonly concurrency: number
  /** A bench script that runs the worker in-process (bench-worker.ts); default `weir worker`. */
  readonly script?: string
  /** The worker's stdout: piped for a script that reports on it. */
  readonly stdout?: 'ignore' | 'pipe'
}

export function startWorkerProcess(o: WorkerProcessOptions): ChildProcess {
  const entry = o.script
    ? ['--import', 'tsx', resolve(import.meta.dirname, o.script)]
    : [BIN, 'worker']
  return spawn(
    process.execPath,
    [
      ...entry,
      ...['--server', o.base, '--token', BENCH_WORKER_TOKEN],
      ...['--name', o.name, '--state-dir', o.stateDir],
    ],
    {
      stdio: ['ignore', o.stdout ?? 'ignore', 'inherit'],
      env: { ...process.env, WEIR_WORKER__CONCURRENCY: String(o.concurrency) },
    },
  )
}

/** Resolves once `count` remote workers are active on the server at `base` (60 s at most). */
export async function waitForWorkers(base: string, count = 1): Promise<void> {
  const deadline = performance.now() + 60_000
  while (performance.now() < deadline) {
    const res = await fetch(`${base}/api/workers`)
    const list = (await res.json()) as Array<{ kind: string; status: string }>
    if (list.filter((w) => w.kind === 'remote' && w.status === 'active').length >= count) return
    await sleep(100)
  }
  throw new Error(`${count} remote worker(s) did not register within 60 s`)
}

/** SIGTERM, then waits for the exit (at once when it has exited already). */
export async function stopWorkerProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  await exited
}
