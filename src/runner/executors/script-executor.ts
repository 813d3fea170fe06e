/**
 * Runs one script step as a real process (WORKSPACE-FORMAT.md §3.3, §9): streams its output as
 * lines, keeps the last `OUTPUT:` value, and stops its whole process group on abort or timeout
 * (SIGTERM, then SIGKILL after the grace). A step failure is returned as data, never thrown.
 */
import type { Clock } from '../../shared/clock.ts'
import { createDirectLauncher } from './process-launcher.ts'
import type { LaunchedProcess, ProcessLauncher } from './process-launcher.ts'
import { describeStartFailure, prepareProgram } from './script-command.ts'
import type { CommandLine, ExecLanguage } from './script-command.ts'
import { StepOutput } from './step-output.ts'

export interface ExecRequest {
  readonly language: ExecLanguage
  /** Binary override, shell included (e.g. 'bash'). */
  readonly interpreter: string | null
  /** Rendered inline program; exactly one of script / sourcePath. */
  readonly script: string | null
  /** Absolute path of a `source:` file. */
  readonly sourcePath: string | null
  readonly args: ReadonlyArray<string>
  readonly cwd: string
  /** The complete environment of the child; the caller builds it (§9.1). */
  readonly env: Readonly<Record<string, string>>
  readonly timeoutMs: number | null
  /** SIGTERM to SIGKILL delay, default 5000. */
  readonly killGraceMs?: number
}

export interface ExecLine {
  readonly ts: string
  readonly stream: 'stdout' | 'stderr'
  readonly line: string
  /** Set on a piece of a line cut at the record limit when the line goes on in the next piece. */
  readonly continues?: boolean
}

export interface ExecResult {
  readonly exitCode: number | null
  readonly signal: string | null
  /** The value of the last valid `OUTPUT:` stdout line; undefined if none. */
  readonly output: unknown
  readonly outputWarnings: ReadonlyArray<string>
  /** The last 4 KiB of stderr. */
  readonly stderrTail: string
  readonly timedOut: boolean
  readonly aborted: boolean
  /** Why the process could not start (or was lost by its launcher); null if it ran. */
  readonly spawnError: string | null
  /** Null on success, else the step's error message (§9.4). */
  readonly errorMessage: string | null
}

export interface RunScriptOptions {
  readonly signal: AbortSignal
  /** Receives lines in small batches as they are read; must not block. */
  readonly onLines: (lines: ExecLine[]) => void
  readonly launcher?: ProcessLauncher
  readonly clock?: Clock
}

export const DEFAULT_KILL_GRACE_MS = 5000

type Ended =
  | { readonly kind: 'exit'; readonly code: number | null; readonly signal: string | null }
  | { readonly kind: 'error'; readonly message: string; readonly code: string | undefined }

export function formatSeconds(ms: number): string {
  return String(Math.round(ms) / 1000)
}

/** The result of a step that never ran: it could not start, or was cancelled first. */
export function startFailure(message: string, aborted = false): ExecResult {
  return {
    exitCode: null,
    signal: null,
    output: undefined,
    outputWarnings: [],
    stderrTail: '',
    timedOut: false,
    aborted,
    spawnError: aborted ? null : message,
    errorMessage: message,
  }
}

/** One attempt at running a step: output, limits and stop requests across launch candidates. */
class StepRun {
  readonly #req: ExecRequest
  readonly #opts: RunScriptOptions
  readonly #launcher: ProcessLauncher
  readonly #out: StepOutput
  #process: LaunchedProcess | null = null
  #stopped: 'no' | 'timeout' | 'abort' = 'no'
  #timeout: NodeJS.Timeout | undefined
  #escalation: NodeJS.Timeout | undefined
  #killed = false

  constructor(req: ExecRequest, opts: RunScriptOptions) {
    this.#req = req
    this.#opts = opts
    this.#launcher = opts.launcher ?? createDirectLauncher()
    this.#out = new StepOutput(opts.onLines, opts.clock)
  }

  async run(candidates: ReadonlyArray<CommandLine>): Promise<ExecResult> {
    const onAbort = () => this.#stop('abort')
    this.#opts.signal.addEventListener('abort', onAbort, { once: true })
    const { timeoutMs } = this.#req
    if (timeoutMs !== null && timeoutMs > 0) {
      this.#timeout = setTimeout(() => this.#stop('timeout'), timeoutMs)
    }
    try {
      let ended: Ended = { kind: 'error', message: 'no command to run', code: undefined }
      let command = ''
      for (const candidate of candidates) {
        command = candidate.command
        ended = await this.#launch(candidate)
        if (ended.kind !== 'error' || ended.code !== 'ENOENT' || this.#stopped !== 'no') break
      }
      this.#out.end()
      return this.#result(ended, command)
    } finally {
      this.#opts.signal.removeEventListener('abort', onAbort)
      clearTimeout(this.#timeout)
      clearTimeout(this.#escalation)
    }
  }

  #launch(cmd: CommandLine): Promise<Ended> {
    const env = { ...this.#req.env }
    env.PYTHONUNBUFFERED ??= '1'
    return new Promise<Ended>((resolve) => {
      const spec = { command: cmd.command, args: cmd.args, cwd: this.#req.cwd, env }
      this.#process = this.#launcher.launch(spec, {
        onStdout: (chunk) => this.#out.stdout(chunk),
        onStderr: (chunk) => this.#out.stderr(chunk),
        onExit: (code, signal) => resolve({ kind: 'exit', code, signal }),
        onError: (message, code) => resolve({ kind: 'error', message, code }),
      })
      if (this.#stopped !== 'no') this.#process.kill('SIGTERM')
    }).then((ended) => {
      this.#sweepAfterStop()
      return ended
    })
  }

  /** SIGTERM to the group now, SIGKILL after the grace unless the process is already gone. */
  #stop(reason: 'timeout' | 'abort'): void {
    if (this.#stopped !== 'no') return
    this.#stopped = reason
    this.#process?.kill('SIGTERM')
    this.#escalation = setTimeout(() => {
      this.#killed = true
      this.#process?.kill('SIGKILL')
    }, this.#req.killGraceMs ?? DEFAULT_KILL_GRACE_MS)
  }

  /**
   * After a stop, whatever is left of the group once the leader has gone (say a grandchild that
   * ignores SIGTERM and closed its pipes) is SIGKILLed at once: nothing of a stopped step survives.
   */
  #sweepAfterStop(): void {
    if (this.#stopped === 'no' || this.#killed) return
    this.#killed = true
    this.#process?.kill('SIGKILL')
  }

  #result(ended: Ended, command: string): ExecResult {
    const stderrTail = this.#out.stderrTail
    const started = ended.kind === 'exit'
    const spawnError = started ? null : describeStartFailure(command, ended.message, ended.code)
    return {
      exitCode: started ? ended.code : null,
      signal: started ? ended.signal : null,
      output: this.#out.value,
      outputWarnings: this.#out.warnings,
      stderrTail,
      timedOut: this.#stopped === 'timeout',
      aborted: this.#stopped === 'abort',
      spawnError,
      errorMessage: this.#errorMessage(ended, spawnError, stderrTail),
    }
  }

  #errorMessage(ended: Ended, spawnError: string | null, stderrTail: string): string | null {
    if (this.#stopped === 'timeout') {
      return `Step timed out after ${formatSeconds(this.#req.timeoutMs ?? 0)}s`
    }
    if (this.#stopped === 'abort') return 'Step cancelled'
    if (ended.kind === 'error') return spawnError
    const stderr = stderrTail.trimEnd()
    if (ended.code === 0) return null
    if (ended.code === null)
      return `Killed by signal ${ended.signal ?? 'unknown'}\nStderr: ${stderr}`
    return `Exit code: ${ended.code}\nStderr: ${stderr}`
  }
}

/** Runs one script step to completion; resolves after exit and after its output is drained. */
export async function runScript(req: ExecRequest, opts: RunScriptOptions): Promise<ExecResult> {
  if (opts.signal.aborted) return startFailure('Step cancelled', true)
  const prepared = await prepareProgram(req)
  if (!prepared.ok) return startFailure(prepared.message)
  try {
    if (opts.signal.aborted) return startFailure('Step cancelled', true)
    return await new StepRun(req, opts).run(prepared.program.candidates)
  } finally {
    await prepared.program.cleanup().catch(() => undefined)
  }
}
