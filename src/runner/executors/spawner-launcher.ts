/**
 * A ProcessLauncher that starts steps through a helper process started once: fork() from a server
 * holding a big heap (an in-process PGlite makes it ~0.8 GB) costs about ten times more than from
 * a small one. Two helpers: spawner-child.py (python3, posix_spawn: vfork semantics, the fastest
 * here) when python3 ≥ 3.9 is available, else spawner-child.mjs (node, fork). A helper only spawns
 * and relays output; this side keeps each pid and signals process groups itself, so killing never
 * waits on the helper.
 */
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { assertNever, coerceError } from '../../shared/errors.ts'
import type { Logger } from '../../shared/logger.ts'
import { DEFAULT_DRAIN_MS, failedLaunch, killGroup } from './process-launcher.ts'
import { encodeLaunch, FrameDecoder, type SpawnerMessage } from './spawner-frames.ts'
import type {
  LaunchedProcess,
  LaunchHandlers,
  LauncherOptions,
  LaunchSpec,
  ProcessLauncher,
} from './process-launcher.ts'

const CHILD_SCRIPT = fileURLToPath(new URL('./spawner-child.mjs', import.meta.url))
const PY_SCRIPT = fileURLToPath(new URL('./spawner-child.py', import.meta.url))
const CLOSE_GRACE_MS = 2000

export interface SpawnerLauncherOptions extends LauncherOptions {
  readonly logger?: Pick<Logger, 'warn'>
  /** The node binary for the node helper (default: the one running this process). */
  readonly nodePath?: string
  /** The python3 binary for the python helper (probePythonSpawner); absent: the node helper. */
  readonly pythonPath?: string
}

/**
 * The python3 that can run spawner-child.py (3.9+ for pidfd_open, on a kernel that has it), as
 * an absolute path; null when there is none. Runs python once, at start-up.
 */
export function probePythonSpawner(command = 'python3'): string | null {
  const r = spawnSync(
    command,
    [
      '-I',
      '-S',
      '-c',
      'import os,sys; os.close(os.pidfd_open(os.getpid())); print(sys.executable)',
    ],
    { encoding: 'utf8', timeout: 5000 },
  )
  const path = r.status === 0 ? r.stdout.trim() : ''
  return path.startsWith('/') ? path : null
}

interface Run {
  readonly handlers: LaunchHandlers
  pid: number | null
  pendingKill: NodeJS.Signals | null
  settlePid(pid: number | Error): void
}

function parseMessage(raw: unknown): SpawnerMessage | null {
  if (typeof raw !== 'object' || raw === null) return null
  const m = raw as Record<string, unknown>
  if (typeof m.id !== 'number') return null
  const id = m.id
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null)
  switch (m.t) {
    case 'spawned':
      return typeof m.pid === 'number' ? { t: 'spawned', id, pid: m.pid } : null
    case 'out':
    case 'err':
      return Buffer.isBuffer(m.d) ? { t: m.t, id, d: m.d } : null
    case 'exit':
      return {
        t: 'exit',
        id,
        code: typeof m.code === 'number' ? m.code : null,
        signal: str(m.signal),
      }
    case 'error':
      return {
        t: 'error',
        id,
        message: str(m.message) ?? 'spawn failed',
        code: str(m.code) ?? undefined,
      }
    default:
      return null
  }
}

function newRun(handlers: LaunchHandlers): { run: Run; pid: Promise<number> } {
  let settle: (v: number | Error) => void = () => undefined
  const pid = new Promise<number>((resolve, reject) => {
    settle = (v) => (typeof v === 'number' ? resolve(v) : reject(v))
  })
  pid.catch(() => undefined)
  return { run: { handlers, pid: null, pendingKill: null, settlePid: settle }, pid }
}

class SpawnerLauncher implements ProcessLauncher {
  readonly #opts: SpawnerLauncherOptions
  readonly #runs = new Map<number, Run>()
  #child: ChildProcess | null = null
  #nextId = 1
  #closing: Promise<void> | null = null
  /** Settles once the current helper has exited and its channel drained. */
  #gone: Promise<void> = Promise.resolve()

  constructor(opts: SpawnerLauncherOptions) {
    this.#opts = opts
  }

  launch(spec: LaunchSpec, handlers: LaunchHandlers): LaunchedProcess {
    if (this.#closing) return failedLaunch(handlers, 'process launcher is closed', 'ELAUNCHER')
    let child: ChildProcess
    try {
      child = this.#ensureChild()
    } catch (e) {
      return failedLaunch(
        handlers,
        `cannot start the process launcher: ${coerceError(e).message}`,
        'ELAUNCHER',
      )
    }
    const id = this.#nextId++
    const { run, pid } = newRun(handlers)
    this.#runs.set(id, run)
    this.#updateRef()
    // A failed send means the helper is going away: its exit fails this run with the others.
    const warn = (e: Error | null | undefined) =>
      e && this.#opts.logger?.warn({ err: e }, 'spawner send failed')
    if (this.#opts.pythonPath) child.stdin!.write(encodeLaunch(id, spec), warn)
    else child.send({ t: 'launch', id, ...spec, args: [...spec.args] }, warn)
    return {
      pid,
      kill: (signal) => {
        if (run.pid !== null) killGroup(run.pid, signal)
        else run.pendingKill = signal
      },
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown()
    return this.#closing
  }

  async #shutdown(): Promise<void> {
    const child = this.#child
    if (!child) return
    child.ref()
    // Disconnecting (end of stdin for the python helper) makes it SIGKILL its steps and exit.
    if (this.#opts.pythonPath) child.stdin?.end()
    else if (child.connected) child.disconnect()
    const force = setTimeout(() => child.kill('SIGKILL'), CLOSE_GRACE_MS)
    await this.#gone
    clearTimeout(force)
  }

  #ensureChild(): ChildProcess {
    if (this.#child) return this.#child
    const drainMs = this.#opts.drainMs ?? DEFAULT_DRAIN_MS
    const python = this.#opts.pythonPath
    const child = python
      ? spawn(python, ['-I', '-S', PY_SCRIPT, String(drainMs)], {
          stdio: ['pipe', 'pipe', 'inherit'],
          env: {},
        })
      : spawn(this.#opts.nodePath ?? process.execPath, [CHILD_SCRIPT, String(drainMs)], {
          stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
          serialization: 'advanced',
          env: {},
        })
    let markGone: () => void = () => undefined
    this.#gone = new Promise<void>((resolve) => (markGone = resolve))
    const gone = (why: string) => {
      if (this.#child !== child) return
      this.#child = null
      this.#failRuns(why)
      markGone()
    }
    if (python) {
      const frames = new FrameDecoder()
      child.stdout!.on('data', (chunk: Buffer) => {
        for (const m of frames.push(chunk)) this.#handle(m)
      })
      child.stdin!.on('error', () => undefined) // the exit below reports a helper that died
    } else child.on('message', (raw) => this.#onMessage(raw))
    child.on('error', (e) => {
      if (child.pid === undefined) gone(`could not start (${e.message})`)
      else this.#opts.logger?.warn({ err: e }, 'spawner process error')
    })
    // Messages sent before the exit may still sit in the channel: wait until it is drained
    // ('close' comes after the python helper's stdout ended).
    child.once(python ? 'close' : 'exit', (code, signal) => {
      const why = `exited (code ${code}, signal ${signal})`
      if (child.connected) child.once('disconnect', () => gone(why))
      else gone(why)
    })
    this.#child = child
    return child
  }

  #onMessage(raw: unknown): void {
    const m = parseMessage(raw)
    if (m) this.#handle(m)
  }

  #handle(m: SpawnerMessage): void {
    const run = this.#runs.get(m.id)
    if (!run) return
    switch (m.t) {
      case 'spawned':
        run.pid = m.pid
        run.settlePid(m.pid)
        if (run.pendingKill) killGroup(m.pid, run.pendingKill)
        return
      case 'out':
        return run.handlers.onStdout(m.d)
      case 'err':
        return run.handlers.onStderr(m.d)
      case 'exit':
        this.#finish(m.id)
        return run.handlers.onExit(m.code, m.signal)
      case 'error':
        this.#finish(m.id)
        run.settlePid(new Error(m.message))
        return run.handlers.onError(m.message, m.code)
      default:
        return assertNever(m, 'spawner message')
    }
  }

  #finish(id: number): void {
    this.#runs.delete(id)
    this.#updateRef()
  }

  /** Fails every run of a helper that went away; the next launch starts a new helper. */
  #failRuns(why: string): void {
    const message = `process launcher ${this.#closing ? 'closed' : `${why} unexpectedly`}`
    if (!this.#closing) this.#opts.logger?.warn({ why }, 'spawner process went away')
    const runs = [...this.#runs.values()]
    this.#runs.clear()
    for (const run of runs) {
      if (run.pid !== null) killGroup(run.pid, 'SIGKILL')
      run.settlePid(new Error(message))
      run.handlers.onError(message, 'ELAUNCHER')
    }
  }

  /** Holds the event loop open only while steps run, so a forgotten close() never hangs exit. */
  #updateRef(): void {
    const child = this.#child
    if (!child) return
    const streams = [child.stdin, child.stdout] as Array<{ ref?(): void; unref?(): void } | null>
    if (this.#runs.size > 0) {
      child.ref()
      child.channel?.ref()
      for (const s of streams) s?.ref?.()
    } else {
      child.unref()
      child.channel?.unref()
      for (const s of streams) s?.unref?.()
    }
  }
}

/** A launcher that spawns through one lean helper process, restarted on demand if it dies. */
export function createSpawnerLauncher(opts: SpawnerLauncherOptions = {}): ProcessLauncher {
  return new SpawnerLauncher(opts)
}
