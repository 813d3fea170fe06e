/**
 * Turns a claim from `POST /worker/claim` (API.md §11.3) into the ClaimedStep the executor runs.
 * Pure. A remote worker has no copy of the server's workspaces: an inline `script` runs in a
 * scratch folder, while a `source:` script needs the files of the workspace (or library) revision
 * it belongs to: a local folder the operator maps with `--workspace-dir <ws>=<path>`, else the
 * revision's archive, which the worker fetches before the step runs (`fetchFiles`). A claim this
 * worker cannot run comes back with an error to report as the attempt's failure.
 */
import { isAbsolute, normalize } from 'node:path'
import type { ClaimReply } from './remote-wire.ts'
import type { ClaimedStep, ClaimedStepState, ContainerStep, FilesRef } from './step-source.ts'

export interface ClaimContext {
  /** Workspace name -> local folder holding its files (absolute paths). */
  readonly workspaceDirs: Readonly<Record<string, string>>
  /** Working directory for steps whose workspace has no local folder. */
  readonly scratchDir: string
  /** Used when the claim carries no timeout. */
  readonly defaultTimeoutSecs: number
  /** This worker reaches a Docker Engine (it runs container steps). */
  readonly containers: boolean
}

export type MappedClaim =
  | { readonly ok: true; readonly step: ClaimedStep }
  | { readonly ok: false; readonly step: ClaimedStep; readonly error: string }

const LANGUAGES: Record<string, ClaimedStep['action']['language']> = {
  shell: 'shell',
  python: 'python',
  javascript: 'javascript',
  js: 'javascript',
  typescript: 'typescript',
  ts: 'typescript',
}

/** Identifies one attempt on this worker: a retry of the same step is a different entry. */
export function remoteStepId(jobId: string, stepName: string, attempt: number): string {
  return `${jobId}/${stepName}#${attempt}`
}

function envOf(env: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || v === null) continue
    out[k] = typeof v === 'string' ? v : JSON.stringify(v)
  }
  return out
}

/** The claim's container, if the step runs in one. */
function containerOf(claim: ClaimReply): ContainerStep | null {
  const type = claim.action.type ?? claim.action_type ?? 'script'
  const runner = claim.action.runner ?? claim.runner ?? 'local'
  if (type !== 'docker' && !(type === 'script' && runner === 'docker')) return null
  const a = claim.action
  const cpu = a.resources?.cpu ?? null
  return {
    mode: type === 'docker' ? 'action' : 'script',
    image: a.image,
    cmd: a.cmd,
    entrypoint: a.entrypoint ?? null,
    command: a.command ?? null,
    pullPolicy: a.pull_policy,
    resources: {
      nanoCpus: cpu === null ? null : Math.round(cpu * 1e9),
      memoryBytes: a.resources?.memory ?? null,
    },
  }
}

const NO_ENGINE =
  'this worker has no Docker Engine for container steps (give it one with --docker-host, or run it where DOCKER_HOST answers)'

/** Why this worker cannot run the claimed action, or null if it can. */
function unsupported(
  claim: ClaimReply,
  language: string | undefined,
  ctx: ClaimContext,
): string | null {
  const type = claim.action.type ?? claim.action_type ?? 'script'
  const runner = claim.action.runner ?? claim.runner ?? 'local'
  if (type === 'docker') return ctx.containers ? null : NO_ENGINE
  if (type !== 'script') {
    return `action type '${type}' is not supported by this worker (it runs script and docker steps)`
  }
  if (runner === 'docker' && !ctx.containers) return NO_ENGINE
  if (runner !== 'local' && runner !== 'docker') {
    return `runner '${runner}' is not supported by this worker`
  }
  if (language === undefined) {
    return `script language '${claim.action.language}' is not supported by this worker`
  }
  return null
}

function stateOf(s: ClaimReply['state']): ClaimedStepState | null {
  if (!s) return null
  type Wire = NonNullable<ClaimReply['state']>['task']
  const of = (x: Wire) => x && { id: x.snapshot_id, values: x.values, hasFiles: x.has_files }
  return { task: of(s.task), global: of(s.global) }
}

/** Names and revisions become folder names in the worker's cache: nothing that could escape it. */
const SAFE_NAME = /^(?!\.{1,2}$)[A-Za-z0-9_.-]{1,128}$/

/** Whose files the step's `source:` is in: the claim says, else (an older server) the job's workspace. */
function filesOf(claim: ClaimReply): FilesRef | null {
  if (claim.files) return claim.files
  if (!claim.revision) return null
  return { kind: 'workspace', name: claim.workspace, revision: claim.revision }
}

/** The folder the operator gave for these files, if any (libraries have none). */
function localDirOf(claim: ClaimReply, files: FilesRef | null, ctx: ClaimContext) {
  const name = files?.kind === 'library' ? null : (files?.name ?? claim.workspace)
  return name !== null && Object.hasOwn(ctx.workspaceDirs, name)
    ? ctx.workspaceDirs[name]
    : undefined
}

export function mapClaim(claim: ClaimReply, ctx: ClaimContext): MappedClaim {
  const { language: languageName, interpreter, script, source, args } = claim.action
  const language = LANGUAGES[languageName ?? 'shell']
  const files = filesOf(claim)
  const localDir = localDirOf(claim, files, ctx)
  const fetchFiles = source !== null && localDir === undefined ? files : null
  const step: ClaimedStep = {
    stepId: remoteStepId(claim.job_id, claim.step_name, claim.attempt),
    jobId: claim.job_id,
    workspace: claim.workspace,
    taskName: claim.task_name,
    stepName: claim.step_name,
    attempt: claim.attempt,
    leaseToken: claim.lease.token,
    action: {
      language: language ?? 'shell',
      interpreter,
      script,
      source,
      args,
    },
    container: containerOf(claim),
    env: envOf(claim.env),
    cwd: localDir ?? ctx.scratchDir,
    timeoutSecs: claim.timeout_secs ?? ctx.defaultTimeoutSecs,
    state: stateOf(claim.state),
    fetchFiles,
  }
  const bad = unsupported(claim, language, ctx)
  if (bad !== null) return { ok: false, step, error: bad }
  if (step.container?.mode === 'action') return { ok: true, step }
  if (script === null && source === null) {
    return { ok: false, step, error: 'the claimed action has neither `script` nor `source`' }
  }
  if (source !== null && localDir === undefined && fetchFiles === null) {
    return { ok: false, step, error: missingFilesMessage(claim.workspace, source) }
  }
  if (fetchFiles && !(SAFE_NAME.test(fetchFiles.name) && SAFE_NAME.test(fetchFiles.revision))) {
    const { kind, name, revision } = fetchFiles
    return {
      ok: false,
      step,
      error: `cannot fetch ${kind} '${name}' at revision '${revision}': not a valid name or revision`,
    }
  }
  if (source !== null && (isAbsolute(source) || normalize(source).startsWith('..'))) {
    return { ok: false, step, error: `source '${source}' is outside the workspace folder` }
  }
  return { ok: true, step }
}

/** The error of a `source:` step on a worker that has no folder for its workspace and no revision to fetch. */
export function missingFilesMessage(workspace: string, source: string): string {
  return (
    `step needs the files of workspace '${workspace}' (source: ${source}), but this worker has ` +
    `no folder for it: start the worker with --workspace-dir ${workspace}=<path> ` +
    `(or WEIR_WORKER__WORKSPACES=${workspace}=<path>)`
  )
}
