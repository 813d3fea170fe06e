/**
 * The folders around one attempt of a step (STROEM-REFERENCE.md §1.3): $ARTIFACTS_DIR, and the
 * task and workspace state ($STATE_DIR, $STATE_OUT_DIR, $GLOBAL_STATE_DIR,
 * $GLOBAL_STATE_OUT_DIR), made fresh for the attempt and removed after it. Before the step runs
 * the state folders get the snapshots the claim named; once it exits 0, its artifacts (every
 * regular file under $ARTIFACTS_DIR, links skipped) and its new state (`STATE:` lines merged over
 * its own state.json, plus the other files it wrote) are handed to the step source. If any of
 * that fails, what was stored is discarded and the attempt fails: nothing is half-kept.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, readdirSync, rmSync } from 'node:fs'
import { lstat, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { coerceError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import type { StepFolders } from './executors/container-command.ts'
import type { ExecLine } from './executors/script-executor.ts'
import { StateLines } from './state-lines.ts'
import type { ClaimedStep, StateScope, StepFileSource, WorkerOutcome } from './step-source.ts'

const STATE_JSON = 'state.json'

interface Paths {
  readonly root: string
  readonly artifacts: string
  readonly state: string
  readonly stateOut: string
  readonly globalState: string
  readonly globalStateOut: string
}

/** Makes the folders of each attempt under one root (the worker's own). */
export class StepFiles {
  readonly #root: string
  readonly #logger: Logger

  /** Emptied folder sets, ready for the next attempt (at most one per attempt ever in flight). */
  readonly #free: Paths[] = []
  #made = 0

  constructor(root: string, logger: Logger) {
    this.#root = root
    this.#logger = logger
  }

  /** Removes the root (the worker has stopped: no attempt is left). */
  close(): void {
    this.#free.length = 0
    rmSync(this.#root, { recursive: true, force: true })
  }

  /**
   * The attempt's folders, its state filled in. Folder sets are reused: creating and removing six
   * directories per attempt costs milliseconds on a journaled disk (2.5 ms measured on ext4),
   * where checking that five are empty costs microseconds.
   */
  async open(step: ClaimedStep, source: StepFileSource): Promise<AttemptFiles> {
    const p = this.#free.pop() ?? this.#make()
    const files = new AttemptFiles(step, source, p, this.#logger, (clean) =>
      this.#release(p, clean),
    )
    try {
      if (step.state?.task) await source.loadState(step, 'task', step.state.task, p.state)
      if (step.state?.global)
        await source.loadState(step, 'global', step.state.global, p.globalState)
    } catch (e) {
      files.dispose()
      throw new Error(`the task state could not be loaded: ${coerceError(e).message}`, {
        cause: e,
      })
    }
    return files
  }

  #make(): Paths {
    const p = pathsOf(this.#newRoot())
    mkdirSync(p.root, { recursive: true })
    for (const dir of subfolders(p)) mkdirSync(dir)
    return p
  }

  #newRoot(): string {
    return join(this.#root, `attempt-${++this.#made}-${randomBytes(3).toString('hex')}`)
  }

  /**
   * Empties the folders for the next attempt (a readdir each: most steps leave them empty; a
   * rename per attempt was tried and measured: its journal write slowed the log files' creation).
   * A set that cannot be emptied is removed.
   */
  #release(p: Paths, clean: ReadonlySet<string>): void {
    try {
      for (const dir of subfolders(p)) {
        if (clean.has(dir)) continue
        for (const name of readdirSync(dir))
          rmSync(join(dir, name), { recursive: true, force: true })
      }
      this.#free.push(p)
    } catch (e) {
      try {
        rmSync(p.root, { recursive: true, force: true })
      } catch (err) {
        this.#logger.warn({ err: coerceError(err), dir: p.root }, 'removing step folders failed')
        return
      }
      this.#logger.debug({ err: coerceError(e), dir: p.root }, 'step folders not reusable')
    }
  }
}

interface FoundFile {
  readonly name: string
  readonly path: string
  readonly sizeBytes: number
}

function pathsOf(root: string): Paths {
  return {
    root,
    artifacts: join(root, 'artifacts'),
    state: join(root, 'state'),
    stateOut: join(root, 'state-out'),
    globalState: join(root, 'global-state'),
    globalStateOut: join(root, 'global-state-out'),
  }
}

function subfolders(p: Paths): string[] {
  return [p.artifacts, p.state, p.stateOut, p.globalState, p.globalStateOut]
}

/** Regular files under `dir`, recursively, named relative to it with `/`; links are skipped. */
async function regularFiles(dir: string, rel = ''): Promise<FoundFile[]> {
  const out: FoundFile[] = []
  for (const n of (await readdir(join(dir, rel))).sort()) {
    const name = rel === '' ? n : `${rel}/${n}`
    const path = join(dir, name)
    const st = await lstat(path)
    if (st.isDirectory()) out.push(...(await regularFiles(dir, name)))
    else if (st.isFile()) out.push({ name, path, sizeBytes: st.size })
  }
  return out
}

/** One attempt's folders: their variables, the state lines it printed, and what it left. */
export class AttemptFiles {
  readonly #step: ClaimedStep
  readonly #source: StepFileSource
  readonly #p: Paths
  readonly #logger: Logger
  readonly #release: (clean: ReadonlySet<string>) => void
  /** Folders seen empty after the step exited (nothing to look at when released). */
  readonly #clean = new Set<string>()
  readonly #lines = new StateLines()
  #released = false

  constructor(
    step: ClaimedStep,
    source: StepFileSource,
    p: Paths,
    logger: Logger,
    release: (clean: ReadonlySet<string>) => void,
  ) {
    this.#step = step
    this.#source = source
    this.#p = p
    this.#logger = logger
    this.#release = release
  }

  /** The variables a process step gets (host paths). */
  get env(): Record<string, string> {
    const p = this.#p
    return {
      ARTIFACTS_DIR: p.artifacts,
      STATE_DIR: p.state,
      STATE_OUT_DIR: p.stateOut,
      GLOBAL_STATE_DIR: p.globalState,
      GLOBAL_STATE_OUT_DIR: p.globalStateOut,
    }
  }

  /** The folders a container step mounts. */
  get folders(): StepFolders {
    const p = this.#p
    return {
      artifacts: p.artifacts,
      state: { in: p.state, out: p.stateOut, globalIn: p.globalState, globalOut: p.globalStateOut },
    }
  }

  /** Reads the step's stdout for state lines. */
  observe(lines: ReadonlyArray<ExecLine>): void {
    this.#lines.observe(lines)
  }

  /**
   * After the step: a completed attempt's artifacts and state are stored; if that fails the
   * attempt fails instead. Other outcomes are returned as they are (nothing is kept).
   */
  async finish(outcome: WorkerOutcome): Promise<WorkerOutcome> {
    if (outcome.status !== 'completed') return outcome
    const warnings = [...outcome.warnings, ...this.#lines.warnings]
    let stored = false
    try {
      // Most steps leave nothing: one readdir says so, and the folder needs no emptying later.
      const left = readdirSync(this.#p.artifacts).length > 0
      if (!left) this.#clean.add(this.#p.artifacts)
      for (const f of left ? await regularFiles(this.#p.artifacts) : []) {
        stored = true
        await this.#source.putArtifact(this.#step, f)
      }
      await this.#saveState('task', this.#p.stateOut, warnings)
      await this.#saveState('global', this.#p.globalStateOut, warnings)
      return { ...outcome, warnings }
    } catch (e) {
      const message = coerceError(e).message
      if (stored) {
        await this.#source
          .discardArtifacts(this.#step)
          .catch((err: unknown) =>
            this.#logger.warn({ err: coerceError(err) }, 'discarding stored artifacts failed'),
          )
      }
      return {
        status: 'failed',
        exitCode: outcome.exitCode,
        output: undefined,
        errorMessage: `the step's files could not be stored: ${message}`,
        warnings,
      }
    }
  }

  async #saveState(scope: StateScope, dir: string, warnings: string[]): Promise<void> {
    const names = readdirSync(dir)
    if (names.length === 0) this.#clean.add(dir)
    const lines = this.#lines.counts[scope]
    if (names.length === 0 && lines === 0) return
    const what =
      scope === 'task'
        ? 'STATE: lines and $STATE_OUT_DIR'
        : 'GLOBAL_STATE: lines and $GLOBAL_STATE_OUT_DIR'
    if (!this.#step.state) {
      warnings.push(`task state is off on this server (no state_storage): ${what} were not kept`)
      return
    }
    const own = names.includes(STATE_JSON) ? await ownValues(join(dir, STATE_JSON), warnings) : {}
    await this.#source.saveState(this.#step, scope, { ...own, ...this.#lines.values[scope] }, dir)
  }

  /** Hands the folders back, emptied (once; later calls do nothing). */
  dispose(): void {
    if (this.#released) return
    this.#released = true
    this.#release(this.#clean)
  }
}

/** The values of a state.json the step wrote itself (a JSON object), or none with a warning. */
async function ownValues(path: string, warnings: string[]): Promise<Record<string, unknown>> {
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as unknown
    if (typeof v === 'object' && v !== null && !Array.isArray(v))
      return v as Record<string, unknown>
    warnings.push('state.json in the state output folder is not a JSON object: ignored')
  } catch (e) {
    warnings.push(
      `state.json in the state output folder is not JSON: ignored (${coerceError(e).message})`,
    )
  }
  return {}
}

/** Removes attempt folders a crashed worker left under `root`. */
export function clearStepFiles(root: string): void {
  mkdirSync(root, { recursive: true })
  for (const name of readdirSync(root)) rmSync(join(root, name), { recursive: true, force: true })
}
