/**
 * Starting step processes. Each process gets its own session and process group (`detached`),
 * so kill() reaches its grandchildren too. Two launchers: spawn from this process, or through a
 * small helper process (spawner-launcher.ts), because fork cost grows with the parent's memory.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'

export interface LaunchSpec {
  readonly command: string
  readonly args: ReadonlyArray<string>
  readonly cwd: string
  /** The complete environment of the child. */
  readonly env: Readonly<Record<string, string>>
}

/**
 * Exactly one of onExit / onError ends a launch. onExit comes once the process has exited and
 * its stdout and stderr have closed, so no chunk follows it. A process that exits while something
 * it started still holds the pipes gets `drainMs`; then its group is SIGKILLed and the pipes
 * dropped. onError means it never started, or the launcher lost it (`code` is an errno name such
 * as ENOENT, or ELAUNCHER).
 */
export interface LaunchHandlers {
  onStdout(chunk: Buffer): void
  onStderr(chunk: Buffer): void
  onExit(code: number | null, signal: string | null): void
  onError(message: string, code?: string): void
}

export interface LaunchedProcess {
  /** Resolves once started; rejects (and onError fires) if the process could not start. */
  readonly pid: Promise<number>
  /** Signals the whole process group; harmless once it is gone. */
  kill(signal: NodeJS.Signals): void
}

export interface ProcessLauncher {
  launch(spec: LaunchSpec, handlers: LaunchHandlers): LaunchedProcess
  /**
   * Releases the launcher; idempotent. The spawner launcher kills the launches still running
   * (they end with onError); the direct launcher holds nothing.
   */
  close(): Promise<void>
}

export interface LauncherOptions {
  /** How long pipes may stay open after the process exited (default 2000 ms). */
  readonly drainMs?: number
}

export const DEFAULT_DRAIN_MS = 2000
/** After the drain kill, how long to wait for the pipes before dropping them. */
const PIPE_DROP_MS = 500

/** Sends `signal` to process group `pid`; a group that is already gone is not an error. */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    // ESRCH: the group has exited; EPERM cannot happen for our own children.
  }
}

export function errnoCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** A launch that failed before reaching any process: onError fires on the next microtask. */
export function failedLaunch(
  handlers: LaunchHandlers,
  message: string,
  code?: string,
): LaunchedProcess {
  const pid = Promise.reject(new Error(message))
  pid.catch(() => undefined)
  queueMicrotask(() => handlers.onError(message, code))
  return { pid, kill: () => undefined }
}

function watchDrain(child: ChildProcess, drainMs: number): () => void {
  let drainTimer: NodeJS.Timeout | undefined
  let dropTimer: NodeJS.Timeout | undefined
  child.once('exit', () => {
    drainTimer = setTimeout(() => {
      if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL')
      dropTimer = setTimeout(() => {
        child.stdout?.destroy()
        child.stderr?.destroy()
      }, PIPE_DROP_MS)
    }, drainMs)
  })
  return () => {
    clearTimeout(drainTimer)
    clearTimeout(dropTimer)
  }
}

function launchHere(spec: LaunchSpec, h: LaunchHandlers, drainMs: number): LaunchedProcess {
  let child: ChildProcess
  try {
    child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
  } catch (e) {
    return failedLaunch(h, e instanceof Error ? e.message : String(e), errnoCode(e))
  }
  const started = child.pid
  if (started === undefined) {
    // The 'error' event follows (ENOENT, EACCES); its 'close' carries no real exit status.
    let reject: (e: Error) => void = () => undefined
    const pid = new Promise<number>((_, rej) => (reject = rej))
    pid.catch(() => undefined)
    child.once('error', (e) => {
      reject(e)
      h.onError(e.message, errnoCode(e))
    })
    return { pid, kill: () => undefined }
  }
  child.stdout!.on('data', (chunk: Buffer) => h.onStdout(chunk))
  child.stderr!.on('data', (chunk: Buffer) => h.onStderr(chunk))
  // A read error on a pipe ends it and 'close' still follows; without listeners it would crash us.
  for (const emitter of [child, child.stdout!, child.stderr!]) emitter.on('error', () => undefined)
  const stopDrain = watchDrain(child, drainMs)
  child.once('close', (code, signal) => {
    stopDrain()
    h.onExit(code, signal)
  })
  return { pid: Promise.resolve(started), kill: (signal) => killGroup(started, signal) }
}

/** Spawns step processes from this process: no extra hop, but fork cost grows with our RSS. */
export function createDirectLauncher(opts: LauncherOptions = {}): ProcessLauncher {
  const drainMs = opts.drainMs ?? DEFAULT_DRAIN_MS
  return {
    launch: (spec, handlers) => launchHere(spec, handlers, drainMs),
    close: async () => undefined,
  }
}
