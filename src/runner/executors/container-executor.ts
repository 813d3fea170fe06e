/**
 * Runs one step in a container on the Docker Engine: the image per its pull policy, then create,
 * attach (before start, so no output is missed), start and wait. stdout and stderr are
 * demultiplexed into the same lines as a local step's, with `OUTPUT:` parsed; the exit code
 * decides the result. A cancel or timeout sends SIGTERM, then SIGKILL after the grace, and the
 * container is always removed. A step failure is returned as data, never thrown.
 */
import type { Clock } from '../../shared/clock.ts'
import { coerceError } from '../../shared/errors.ts'
import type { ContainerRun } from './container-command.ts'
import type { DockerEngine } from './docker-engine.ts'
import { engineErrorMessage } from './docker-engine.ts'
import { createDockerStreamDemuxer } from './docker-stream.ts'
import {
  DEFAULT_KILL_GRACE_MS,
  formatSeconds,
  startFailure,
  type ExecLine,
  type ExecResult,
} from './script-executor.ts'
import { StepOutput } from './step-output.ts'

export interface RunContainerOptions {
  readonly engine: DockerEngine
  readonly signal: AbortSignal
  /** Receives lines in small batches as they are read; must not block. */
  readonly onLines: (lines: ExecLine[]) => void
  readonly timeoutMs: number | null
  /** SIGTERM to SIGKILL delay, default 5000. */
  readonly killGraceMs?: number
  readonly clock?: Pick<Clock, 'now'>
  /** Called with the container id once it exists (tests watch it). */
  readonly onCreated?: (id: string) => void
}

/** How long the output stream may stay open after the container exited. */
const DRAIN_MS = 2000

/** A message for an engine call that failed, saying which engine when it could not be reached. */
function failure(engine: DockerEngine, what: string, e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code
  if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES') {
    return `cannot reach the Docker Engine at ${engine.address} (${what}): ${coerceError(e).message}`
  }
  return `${what}: ${engineErrorMessage(e)}`
}

/** Makes the image available per the pull policy; null when it is there, else why not. */
export async function ensureImage(
  engine: DockerEngine,
  image: string,
  policy: ContainerRun['pullPolicy'],
): Promise<string | null> {
  if (policy !== 'always') {
    try {
      if (await engine.hasImage(image)) return null
    } catch (e) {
      return failure(engine, `cannot look up image '${image}'`, e)
    }
    if (policy === 'never') {
      return `image '${image}' is not on the Docker Engine at ${engine.address} (pull_policy: never)`
    }
  }
  try {
    await engine.pull(image)
    return null
  } catch (e) {
    const what =
      policy === 'always'
        ? `cannot pull image '${image}'`
        : `image '${image}' is not on the Docker Engine at ${engine.address} and pulling it failed`
    return failure(engine, what, e)
  }
}

class ContainerStepRun {
  readonly #run: ContainerRun
  readonly #o: RunContainerOptions
  readonly #out: StepOutput
  readonly #warnings: string[] = []
  #id: string | null = null
  #stopped: 'no' | 'timeout' | 'abort' = 'no'
  #stopWaiters: Array<() => void> = []
  #timeout: NodeJS.Timeout | undefined
  #escalation: NodeJS.Timeout | undefined

  constructor(run: ContainerRun, opts: RunContainerOptions) {
    this.#run = run
    this.#o = opts
    this.#out = new StepOutput(opts.onLines, opts.clock)
  }

  async run(): Promise<ExecResult> {
    const onAbort = () => this.#stop('abort')
    this.#o.signal.addEventListener('abort', onAbort, { once: true })
    const { timeoutMs } = this.#o
    if (timeoutMs !== null && timeoutMs > 0) {
      this.#timeout = setTimeout(() => this.#stop('timeout'), timeoutMs)
    }
    let result: ExecResult
    try {
      result = await this.#phases()
    } finally {
      this.#o.signal.removeEventListener('abort', onAbort)
      clearTimeout(this.#timeout)
      clearTimeout(this.#escalation)
      await this.#remove()
    }
    const late = this.#warnings.filter((w) => !result.outputWarnings.includes(w))
    return late.length === 0
      ? result
      : { ...result, outputWarnings: [...result.outputWarnings, ...late] }
  }

  /** The container goes, however the step ended (the orphan sweep catches a failure here). */
  async #remove(): Promise<void> {
    const id = this.#id
    if (id === null) return
    await this.#o.engine.remove(id).catch((e: unknown) => {
      this.#warnings.push(`could not remove container ${id.slice(0, 12)}: ${engineErrorMessage(e)}`)
    })
  }

  async #phases(): Promise<ExecResult> {
    const { engine } = this.#o
    const { spec } = this.#run
    // A pull may take long: a stop request ends the wait for it (the pull goes on in the engine).
    const missing = await this.#unlessStopped(ensureImage(engine, spec.image, this.#run.pullPolicy))
    if (missing === 'stopped') return this.#stoppedEarly()
    if (missing !== null) return startFailure(missing)
    try {
      this.#id = await engine.create(spec)
    } catch (e) {
      return startFailure(failure(engine, `cannot create a container of image '${spec.image}'`, e))
    }
    this.#o.onCreated?.(this.#id)
    if (this.#stopped !== 'no') return this.#stoppedEarly()
    let stream: NodeJS.ReadableStream
    try {
      stream = await engine.attach(this.#id)
    } catch (e) {
      return startFailure(failure(engine, 'cannot attach to the container', e))
    }
    const ended = this.#consume(stream)
    try {
      await engine.start(this.#id)
    } catch (e) {
      ;(stream as { destroy?: () => void }).destroy?.()
      return startFailure(failure(engine, `cannot start the container of image '${spec.image}'`, e))
    }
    if (this.#stopped !== 'no') void this.#signal('SIGTERM')
    let exitCode: number | null
    try {
      exitCode = await engine.wait(this.#id)
    } catch (e) {
      ;(stream as { destroy?: () => void }).destroy?.()
      return startFailure(failure(engine, 'lost the container while waiting for it', e))
    }
    await this.#drain(stream, ended)
    this.#out.end()
    return this.#result(exitCode)
  }

  /** Feeds the attach stream into the step's output; resolves when it ends. */
  #consume(stream: NodeJS.ReadableStream): Promise<void> {
    const demux = createDockerStreamDemuxer({
      stdout: (chunk) => this.#out.stdout(chunk),
      stderr: (chunk) => this.#out.stderr(chunk),
    })
    return new Promise<void>((resolve) => {
      stream.on('data', (chunk: Buffer) => demux.push(chunk))
      stream.once('end', () => resolve())
      stream.once('close', () => resolve())
      stream.once('error', () => resolve())
    })
  }

  async #drain(stream: NodeJS.ReadableStream, ended: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<void>((r) => (timer = setTimeout(r, DRAIN_MS)))
    await Promise.race([ended, late])
    clearTimeout(timer)
    ;(stream as { destroy?: () => void }).destroy?.()
  }

  #unlessStopped<T>(p: Promise<T>): Promise<T | 'stopped'> {
    if (this.#stopped !== 'no') return Promise.resolve('stopped')
    const stopped = new Promise<'stopped'>((r) => this.#stopWaiters.push(() => r('stopped')))
    return Promise.race([p, stopped])
  }

  #stop(reason: 'timeout' | 'abort'): void {
    if (this.#stopped !== 'no') return
    this.#stopped = reason
    for (const w of this.#stopWaiters.splice(0)) w()
    if (this.#id === null) return
    void this.#signal('SIGTERM')
    this.#escalation = setTimeout(
      () => void this.#signal('SIGKILL'),
      this.#o.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
    )
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    if (this.#id === null) return
    await this.#o.engine.kill(this.#id, signal).catch((e: unknown) => {
      if (this.#warnings.length < 5)
        this.#warnings.push(`could not send ${signal} to the container: ${engineErrorMessage(e)}`)
    })
  }

  #stoppedEarly(): ExecResult {
    const result = startFailure(this.#stopMessage(), true)
    return { ...result, aborted: this.#stopped === 'abort', timedOut: this.#stopped === 'timeout' }
  }

  #stopMessage(): string {
    return this.#stopped === 'timeout'
      ? `Step timed out after ${formatSeconds(this.#o.timeoutMs ?? 0)}s`
      : 'Step cancelled'
  }

  #result(exitCode: number): ExecResult {
    const stderrTail = this.#out.stderrTail
    let errorMessage: string | null = null
    if (this.#stopped !== 'no') errorMessage = this.#stopMessage()
    else if (exitCode !== 0)
      errorMessage = `Exit code: ${exitCode}\nStderr: ${stderrTail.trimEnd()}`
    return {
      exitCode,
      signal: null,
      output: this.#out.value,
      outputWarnings: [...this.#out.warnings, ...this.#warnings],
      stderrTail,
      timedOut: this.#stopped === 'timeout',
      aborted: this.#stopped === 'abort',
      spawnError: null,
      errorMessage,
    }
  }
}

/** Runs one container step to completion; resolves after the container is removed. */
export async function runContainer(
  run: ContainerRun,
  opts: RunContainerOptions,
): Promise<ExecResult> {
  if (opts.signal.aborted) return startFailure('Step cancelled', true)
  return new ContainerStepRun(run, opts).run()
}
