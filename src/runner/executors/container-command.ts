/**
 * What container a claimed step runs in (STROEM-REFERENCE.md §1.3, Docker runner): for a
 * `type: docker` action the image as it is, `cmd` as `sh -c <cmd>`, `entrypoint` / `command` in
 * exec form; for a script with `runner: docker` its program inside the action's image (else the
 * worker's runner image), the workspace mounted read-only at /workspace as the working directory.
 * Every container carries the labels the orphan sweep reads.
 */
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import { isAbsolute, normalize, posix, resolve } from 'node:path'
import type { ClaimedStep, ContainerStep } from '../step-source.ts'
import type { EngineContainerSpec } from './docker-engine.ts'

/** Labels on every step container. */
export const LABELS = {
  jobId: 'weir.job_id',
  step: 'weir.step',
  attempt: 'weir.attempt',
  workerId: 'weir.worker_id',
  owner: 'weir.owner',
} as const

export const WORKSPACE_MOUNT = '/workspace'
export const ARTIFACTS_MOUNT = '/artifacts'

/** The worker's container settings. */
export interface ContainerSettings {
  /** The image of a `runner: docker` script whose action names none. */
  readonly runnerImage: string
  readonly network: string | null
  readonly workerId: string
  /** The `weir.owner` label: who removes the container if it is left behind. */
  readonly owner: string
}

/**
 * Host folders a step's files live in, mounted as Strøm mounts them. Weir has no step artifacts
 * or task state yet: every worker passes NO_STEP_FOLDERS, and the feature that adds them fills
 * these in (the mounts and the variables below follow).
 */
export interface StepFolders {
  /** Mounted read-write at /artifacts (both modes); `ARTIFACTS_DIR=/artifacts`. */
  readonly artifacts: string | null
  /** Script mode only: task and global state, read-only snapshots and read-write outputs. */
  readonly state: {
    readonly in: string
    readonly out: string
    readonly globalIn: string
    readonly globalOut: string
  } | null
}

export const NO_STEP_FOLDERS: StepFolders = { artifacts: null, state: null }

export interface ContainerRun {
  readonly spec: EngineContainerSpec
  readonly pullPolicy: ContainerStep['pullPolicy']
}

export type ContainerPlan =
  | { readonly ok: true; readonly run: ContainerRun }
  | { readonly ok: false; readonly message: string }

/** Docker names: [a-zA-Z0-9][a-zA-Z0-9_.-]*; the random tail keeps a retry's name free. */
export function containerName(step: Pick<ClaimedStep, 'jobId' | 'stepName' | 'attempt'>): string {
  const stepPart =
    step.stepName
      .replace(/[^A-Za-z0-9_.-]+/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '')
      .slice(0, 40) || 'step'
  const job = step.jobId.replace(/[^A-Za-z0-9]/g, '').slice(0, 8)
  return `weir-${job}-${stepPart}-${step.attempt}-${randomBytes(3).toString('hex')}`
}

function stateMounts(folders: StepFolders): { binds: string[]; env: Record<string, string> } {
  const binds: string[] = []
  const env: Record<string, string> = {}
  if (folders.state) {
    const s = folders.state
    binds.push(`${s.in}:/state:ro`, `${s.out}:/state-out:rw`)
    binds.push(`${s.globalIn}:/global-state:ro`, `${s.globalOut}:/global-state-out:rw`)
    Object.assign(env, {
      STATE_DIR: '/state',
      STATE_OUT_DIR: '/state-out',
      GLOBAL_STATE_DIR: '/global-state',
      GLOBAL_STATE_OUT_DIR: '/global-state-out',
    })
  }
  return { binds, env }
}

async function isExecutable(p: string): Promise<boolean> {
  return access(p, constants.X_OK).then(
    () => true,
    () => false,
  )
}

/** In the image: TypeScript needs an image that has tsx (or an `interpreter` that runs .ts). */
const BINARIES = { shell: 'sh', python: 'python3', javascript: 'node', typescript: 'tsx' } as const

/** The script's command line inside the container (paths under /workspace). */
async function scriptCommand(step: ClaimedStep): Promise<string[] | string> {
  const { language, interpreter, script, source, args } = step.action
  if ((script === null) === (source === null)) {
    return 'a script step needs exactly one of script or source'
  }
  const binary = interpreter ?? BINARIES[language]
  if (script !== null) {
    // Inline programs travel as an argument: sh -c, python3 -c, node -e, tsx -e.
    const flag = language === 'javascript' || language === 'typescript' ? '-e' : '-c'
    return language === 'shell'
      ? [binary, '-c', script, 'sh', ...args]
      : [binary, flag, script, ...args]
  }
  const rel = normalize(source!)
  if (isAbsolute(rel) || rel.startsWith('..')) {
    return `source '${source}' is outside the workspace folder`
  }
  const hostPath = resolve(step.cwd, rel)
  const isFile = await stat(hostPath).then(
    (s) => s.isFile(),
    () => false,
  )
  if (!isFile) return `source file not found: ${hostPath}`
  const inContainer = posix.join(WORKSPACE_MOUNT, rel.split('\\').join('/'))
  if (language === 'shell' && interpreter === null && (await isExecutable(hostPath))) {
    return [inContainer, ...args]
  }
  return [binary, inContainer, ...args]
}

/** Plans the container of a claimed container step; a step that cannot run gets a message. */
export async function planContainer(
  step: ClaimedStep,
  container: ContainerStep,
  settings: ContainerSettings,
  folders: StepFolders,
): Promise<ContainerPlan> {
  const image = (container.image ?? settings.runnerImage).trim()
  if (image === '') return { ok: false, message: 'the step image is empty after rendering' }
  const env: Record<string, string> = { ...step.env }
  const binds: string[] = []
  if (folders.artifacts !== null) {
    binds.push(`${folders.artifacts}:${ARTIFACTS_MOUNT}:rw`)
    env.ARTIFACTS_DIR = ARTIFACTS_MOUNT
  }
  let entrypoint: ReadonlyArray<string> | null = null
  let cmd: ReadonlyArray<string> | null
  let workingDir: string | null = null
  if (container.mode === 'action') {
    entrypoint = container.entrypoint
    cmd = container.command ?? (container.cmd !== null ? ['sh', '-c', container.cmd] : null)
  } else {
    const command = await scriptCommand(step)
    if (typeof command === 'string') return { ok: false, message: command }
    binds.push(`${step.cwd}:${WORKSPACE_MOUNT}:ro`)
    const state = stateMounts(folders)
    binds.push(...state.binds)
    Object.assign(env, state.env)
    // As in Strøm, the image's entrypoint (if any) receives the command: runner images use it
    // to prepare the environment.
    cmd = command
    workingDir = WORKSPACE_MOUNT
  }
  return {
    ok: true,
    run: {
      pullPolicy: container.pullPolicy,
      spec: {
        name: containerName(step),
        image,
        labels: {
          [LABELS.jobId]: step.jobId,
          [LABELS.step]: step.stepName,
          [LABELS.attempt]: String(step.attempt),
          [LABELS.workerId]: settings.workerId,
          [LABELS.owner]: settings.owner,
        },
        env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
        entrypoint,
        cmd,
        workingDir,
        binds,
        network: settings.network,
        nanoCpus: container.resources.nanoCpus,
        memoryBytes: container.resources.memoryBytes,
      },
    },
  }
}
