/**
 * The claim loop shared by the embedded worker and `weir worker`: claims up to `concurrency`
 * steps from a StepSource, runs each with the script executor (or in a container on the Docker
 * Engine), streams its lines, heartbeats its leases, honours stop requests and reports the outcome.
 */
import { resolve } from 'node:path'
import { coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import {
  NO_STEP_FOLDERS,
  planContainer,
  type ContainerSettings,
} from './executors/container-command.ts'
import { runContainer } from './executors/container-executor.ts'
import type { DockerEngine } from './executors/docker-engine.ts'
import type { ProcessLauncher } from './executors/process-launcher.ts'
import { runScript, startFailure, type ExecResult } from './executors/script-executor.ts'
import { LogBatcher } from './log-batcher.ts'
import type { RevisionCache, RevisionLease } from './revision-cache.ts'
import type { AttemptFiles, StepFiles } from './step-files.ts'
import type {
  ClaimedStep,
  ContainerStep,
  StepSource,
  StopReason,
  WorkerOutcome,
} from './step-source.ts'

/** A worker that reaches a Docker Engine runs container steps there. */
export interface ContainerSupport {
  readonly engine: DockerEngine
  readonly settings: ContainerSettings
}

export interface WorkerOptions {
  readonly source: StepSource
  readonly concurrency: number
  readonly launcher: ProcessLauncher
  /** The environment every step inherits (Weir's own settings already removed). */
  readonly baseEnv: Readonly<Record<string, string>>
  readonly logger: Logger
  readonly heartbeatMs: number
  /** Extra latency allowed to batch log lines (0 for in-process sources). */
  readonly logBatchMs: number
  readonly killGraceMs?: number
  /** Heartbeat with no step running too (a remote worker must show it is alive). */
  readonly heartbeatWhenIdle?: boolean
  /**
   * What happens to steps still running when the stop grace ends: by default their results are
   * discarded (the server recovers the leases); with a message they are reported as failed.
   */
  readonly shutdownFailureMessage?: string
  /** The Docker Engine for container steps; without it they fail with a clear message. */
  readonly containers?: ContainerSupport | null
  /** Makes each attempt's artifact and state folders (used when the source keeps step files). */
  readonly stepFiles?: StepFiles | null
  /** The files of revisions claimed steps ask to fetch (`ClaimedStep.fetchFiles`). */
  readonly revisionFiles?: Pick<RevisionCache, 'acquire'> | null
}

interface Running {
  readonly step: ClaimedStep
  readonly abort: AbortController
  stopReason: StopReason | null
  /** Killed because the worker's stop grace ran out. */
  shutdown: boolean
  done: Promise<void>
}

export class Worker {
  readonly #o: WorkerOptions
  readonly #running = new Map<string, Running>()
  readonly #claimAbort = new AbortController()
  #loop: Promise<void> | null = null
  #heartbeat: NodeJS.Timeout | null = null
  #stopping: Promise<void> | null = null
  #slotFreed: (() => void) | null = null
  #unsubscribe: (() => void) | null = null
  #beating = false
  #graceOver = false

  constructor(opts: WorkerOptions) {
    this.#o = opts
  }

  get inFlight(): number {
    return this.#running.size
  }

  start(): void {
    if (this.#loop) return
    this.#unsubscribe = this.#o.source.onStop((req) => this.#requestStop(req.stepId, req.reason))
    this.#heartbeat = setInterval(() => void this.#beat(), this.#o.heartbeatMs)
    this.#loop = this.#claimLoop()
  }

  /** Stops claiming, gives in-flight steps `graceMs`, then aborts them and waits. Idempotent. */
  stop(graceMs: number): Promise<void> {
    this.#stopping ??= this.#stop(graceMs)
    return this.#stopping
  }

  async #stop(graceMs: number): Promise<void> {
    this.#claimAbort.abort()
    this.#slotFreed?.()
    await this.#loop
    // A completion under way may still hand over a next step: wait for those too.
    const all = (async () => {
      while (this.#running.size > 0)
        await Promise.all([...this.#running.values()].map((r) => r.done))
    })()
    let timer: NodeJS.Timeout | undefined
    const expired = new Promise<'expired'>((r) => (timer = setTimeout(() => r('expired'), graceMs)))
    if ((await Promise.race([all, expired])) === 'expired') {
      this.#graceOver = true
      for (const r of this.#running.values()) this.#endAtShutdown(r)
    }
    clearTimeout(timer)
    await all
    if (this.#heartbeat) clearInterval(this.#heartbeat)
    this.#unsubscribe?.()
  }

  async #claimLoop(): Promise<void> {
    const signal = this.#claimAbort.signal
    let failures = 0
    while (!signal.aborted) {
      const free = this.#o.concurrency - this.#running.size
      if (free <= 0) {
        await new Promise<void>((r) => (this.#slotFreed = r))
        continue
      }
      try {
        const steps = await this.#o.source.claim(free, signal)
        failures = 0
        for (const step of steps) this.#run(step)
        // Give timers and IO a turn between claim rounds: with the embedded database (queries
        // resolve without IO) and steps that need none, claims and finishes could otherwise
        // chain on microtasks alone and starve the heartbeat (measured: no heartbeat for 20 s).
        await new Promise((r) => setImmediate(r))
      } catch (e) {
        failures++
        this.#o.logger.warn({ err: coerceError(e) }, 'claiming steps failed; retrying')
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** failures)))
      }
    }
  }

  /** The stop grace ran out: the step's result is discarded, or it is reported failed. */
  #endAtShutdown(r: Running): void {
    if (this.#o.shutdownFailureMessage === undefined) {
      this.#requestStop(r.step.stepId, 'lease_lost')
    } else if (!r.stopReason) {
      r.shutdown = true
      r.abort.abort()
    }
  }

  #run(step: ClaimedStep): void {
    const entry: Running = {
      step,
      abort: new AbortController(),
      stopReason: null,
      shutdown: false,
      done: Promise.resolve(),
    }
    this.#running.set(step.stepId, entry)
    // A step a completion handed over after the grace ran out ends like the others did.
    if (this.#graceOver) this.#endAtShutdown(entry)
    entry.done = this.#execute(entry).then((next) => {
      this.#running.delete(step.stepId)
      // The step the completion handed over takes the slot this one leaves.
      if (next) this.#run(next)
      this.#slotFreed?.()
      this.#slotFreed = null
    })
  }

  /** Runs the step and reports it; resolves with the next step, when the source handed one. */
  async #execute(r: Running): Promise<ClaimedStep | null> {
    const { step } = r
    const log = this.#o.logger.child({ jobId: step.jobId, step: step.stepName })
    const batcher = new LogBatcher({
      push: (lines) => this.#o.source.appendLogs(step, lines),
      delayMs: this.#o.logBatchMs,
      onStop: (reason) => this.#requestStop(step.stepId, reason),
      onError: (e) => log.warn({ err: coerceError(e) }, 'pushing log lines failed; retrying'),
    })
    const fileSource = this.#o.source.files
    let files: AttemptFiles | null = null
    let revision: RevisionLease | null = null
    /** Lines the step printed that no push carried: they go with the result. */
    let tail: Parameters<LogBatcher['add']>[0] = []
    try {
      void this.#o.source
        .start(step)
        .catch((e: unknown) => log.warn({ err: coerceError(e) }, 'start report failed'))
      const fetched = step.fetchFiles ? await this.#fetchFiles(step, r) : null
      if (fetched?.ok) revision = fetched.lease
      if (this.#o.stepFiles && fileSource && fetched?.ok !== false) {
        files = await this.#o.stepFiles.open(step, fileSource)
      }
      const onLines = (lines: Parameters<LogBatcher['add']>[0]) => {
        files?.observe(lines)
        batcher.add(lines)
      }
      // The step runs in the fetched revision's folder when it needed one.
      const run = revision ? { ...step, cwd: revision.dir } : step
      const result =
        fetched && !fetched.ok
          ? fetched.result
          : run.container
            ? await this.#runContainer(run, run.container, r, onLines, files)
            : await runScript(
                {
                  language: run.action.language,
                  interpreter: run.action.interpreter,
                  script: run.action.script,
                  sourcePath:
                    run.action.source === null ? null : resolve(run.cwd, run.action.source),
                  args: run.action.args,
                  cwd: run.cwd,
                  env: { ...this.#o.baseEnv, ...run.env, ...files?.env },
                  timeoutMs: run.timeoutSecs * 1000,
                  killGraceMs: this.#o.killGraceMs,
                },
                {
                  signal: r.abort.signal,
                  onLines,
                  launcher: this.#o.launcher,
                },
              )
      tail = await batcher.drain()
      if (r.stopReason === 'lease_lost') return null
      const outcome = r.shutdown
        ? shutdownOutcome(result, this.#o.shutdownFailureMessage ?? 'worker shutting down')
        : toOutcome(result, r.stopReason)
      const final = files ? await files.finish(outcome) : outcome
      const lines = tail
      tail = []
      return await this.#o.source.complete(step, final, {
        lines,
        claimNext: !this.#claimAbort.signal.aborted,
      })
    } catch (e) {
      log.error({ err: coerceError(e) }, 'step execution failed')
      batcher.add(tail)
      await batcher.flush().catch(() => undefined)
      await this.#o.source
        .complete(step, {
          status: 'failed',
          exitCode: null,
          output: undefined,
          errorMessage: `worker error: ${coerceError(e).message}`,
          warnings: [],
        })
        .catch((err: unknown) =>
          log.error({ err: coerceError(err) }, 'reporting the failure failed'),
        )
      return null
    } finally {
      files?.dispose()
      revision?.release()
    }
  }

  /**
   * The folder of the revision the step's files are in; a failure (or a stop while waiting) is
   * the attempt's result, with a message naming the workspace or library and the revision.
   */
  async #fetchFiles(
    step: ClaimedStep,
    r: Running,
  ): Promise<{ ok: true; lease: RevisionLease } | { ok: false; result: ExecResult }> {
    const ref = step.fetchFiles!
    const cache = this.#o.revisionFiles
    if (!cache) {
      const what = `${ref.kind} '${ref.name}' at revision '${ref.revision}'`
      return { ok: false, result: startFailure(`this worker cannot fetch the files of ${what}`) }
    }
    try {
      return { ok: true, lease: await cache.acquire(ref, r.abort.signal) }
    } catch (e) {
      return { ok: false, result: startFailure(coerceError(e).message, r.abort.signal.aborted) }
    }
  }

  async #runContainer(
    step: ClaimedStep,
    container: ContainerStep,
    r: Running,
    onLines: (lines: Parameters<LogBatcher['add']>[0]) => void,
    files: AttemptFiles | null,
  ): Promise<ExecResult> {
    const support = this.#o.containers
    if (!support) {
      return startFailure(
        'this worker has no Docker Engine for container steps (it was not reachable at start)',
      )
    }
    const folders = files?.folders ?? NO_STEP_FOLDERS
    const plan = await planContainer(step, container, support.settings, folders)
    if (!plan.ok) return startFailure(plan.message)
    return runContainer(plan.run, {
      engine: support.engine,
      signal: r.abort.signal,
      onLines,
      timeoutMs: step.timeoutSecs * 1000,
      killGraceMs: this.#o.killGraceMs,
    })
  }

  #requestStop(stepId: string, reason: StopReason): void {
    const r = this.#running.get(stepId)
    if (!r || r.stopReason) return
    r.stopReason = reason
    r.abort.abort()
  }

  async #beat(): Promise<void> {
    if (this.#beating || (this.#running.size === 0 && !this.#o.heartbeatWhenIdle)) return
    // One heartbeat at a time: a slow server must not pile them up.
    this.#beating = true
    try {
      const stops = await this.#o.source.heartbeat([...this.#running.values()].map((r) => r.step))
      for (const s of stops) this.#requestStop(s.stepId, s.reason)
    } catch (e) {
      this.#o.logger.warn({ err: coerceError(e) }, 'heartbeat failed')
    } finally {
      this.#beating = false
    }
  }
}

/** A step killed at the end of the stop grace: a failed attempt (the server may retry it). */
function shutdownOutcome(result: ExecResult, message: string): WorkerOutcome {
  return {
    status: 'failed',
    exitCode: result.exitCode,
    output: undefined,
    errorMessage: message,
    warnings: result.outputWarnings,
  }
}

/** The attempt's outcome from the executor's result and any stop request. */
export function toOutcome(result: ExecResult, stop: StopReason | null): WorkerOutcome {
  const warnings = result.outputWarnings
  if (result.aborted && stop === 'cancel_requested') {
    return {
      status: 'cancelled',
      exitCode: result.exitCode,
      output: undefined,
      errorMessage: 'cancelled',
      warnings,
    }
  }
  if (result.aborted && stop === 'timeout') {
    return {
      status: 'failed',
      exitCode: result.exitCode,
      output: undefined,
      errorMessage: 'job timed out',
      warnings,
    }
  }
  if (result.errorMessage === null && result.exitCode === 0) {
    return { status: 'completed', exitCode: 0, output: result.output, errorMessage: null, warnings }
  }
  return {
    status: 'failed',
    exitCode: result.exitCode,
    output: undefined,
    errorMessage: result.errorMessage ?? 'step failed',
    warnings,
  }
}
