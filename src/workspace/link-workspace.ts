/**
 * Linking: a loaded workspace's steps that name another workspace's action (`other.name`) get
 * that action, taken from the other workspace's serving version (STROEM-REFERENCE.md §1.1). The
 * linked copy records the owner and its revision, so a job planned now keeps running that version
 * with the owner's secrets and files even after the owner changes. Only actions a worker runs
 * (script, docker) can come from another workspace. Pure: the registry supplies the versions.
 */
import { didYouMean } from './did-you-mean.ts'
import type {
  ActionDef,
  TaskDef,
  Workspace,
  WorkspaceIssue,
  WorkspaceReference,
} from './workspace.ts'
import { sortIssues } from './workspace.ts'

/** Action types that may run from another workspace: the ones a worker runs. */
const WORKER_ACTION_TYPES: ReadonlySet<string> = new Set(['script', 'docker'])

export type LinkResult =
  | {
      readonly ok: true
      readonly workspace: Workspace
      /** What each reference resolved to (name@revision): unchanged means nothing to relink. */
      readonly signature: string
    }
  | { readonly ok: false; readonly issues: ReadonlyArray<WorkspaceIssue> }

/** The workspaces `ws` takes actions from (itself excluded). */
export function linkedWorkspaces(ws: Workspace): Set<string> {
  return new Set((ws.references ?? []).map((r) => r.workspace).filter((n) => n !== ws.name))
}

function issueOf(ref: WorkspaceReference, code: string, message: string): WorkspaceIssue {
  const { file, line, column, path } = ref
  return { severity: 'error', code, file, line, column, path, message }
}

type Resolved = { readonly action: ActionDef } | { readonly issue: WorkspaceIssue }

function resolve(
  raw: Workspace,
  ref: WorkspaceReference,
  peer: (name: string) => Workspace | null,
): Resolved {
  const qualified = `${ref.workspace}.${ref.action}`
  const self = ref.workspace === raw.name
  const owner = self ? raw : peer(ref.workspace)
  if (!owner) {
    const message = `action '${qualified}' cannot be resolved: workspace '${ref.workspace}' has no valid version (fix its errors first)`
    return { issue: issueOf(ref, 'cross-workspace', message) }
  }
  const action = ref.action.startsWith('_inline:') ? undefined : owner.actions.get(ref.action)
  if (!action) {
    const names = [...owner.actions.keys()].filter((n) => !n.startsWith('_inline:'))
    const message = `workspace '${ref.workspace}' has no action '${ref.action}'${didYouMean(ref.action, names)}`
    return { issue: issueOf(ref, 'unknown-action', message) }
  }
  if (self) return { action: { ...action, name: qualified } }
  if (!WORKER_ACTION_TYPES.has(action.type)) {
    const message = `action '${qualified}' has type '${action.type}'; only script and docker actions can run from another workspace`
    return { issue: issueOf(ref, 'cross-workspace', message) }
  }
  const pinned = { name: owner.name, revision: owner.revision }
  const files = action.origin?.files ?? {
    kind: 'workspace' as const,
    name: owner.name,
    revision: owner.revision,
    root: owner.root,
  }
  // An action the owner itself took from elsewhere keeps that origin.
  const origin = action.origin?.workspace ? action.origin : { workspace: pinned, files }
  return { action: { ...action, name: qualified, origin } }
}

/**
 * The problems of references made by a workspace that failed to load for other reasons, so every
 * problem is reported at once (references to itself need the version that failed: not checked).
 */
export function referenceIssues(
  self: string,
  refs: ReadonlyArray<WorkspaceReference>,
  peer: (name: string) => Workspace | null,
): WorkspaceIssue[] {
  const placeholder = {
    name: self,
    actions: new Map(),
    root: '',
    revision: '',
  } as unknown as Workspace
  return refs
    .filter((ref) => ref.workspace !== self)
    .flatMap((ref) => {
      const got = resolve(placeholder, ref, peer)
      return 'issue' in got ? [got.issue] : []
    })
}

/** Tasks whose steps or hooks run a linked action that cannot run here become unavailable. */
function markUnavailable(
  tasks: ReadonlyMap<string, TaskDef>,
  linked: ReadonlyMap<string, ActionDef>,
): Map<string, TaskDef> {
  const out = new Map<string, TaskDef>()
  for (const [name, task] of tasks) {
    const hooks = Object.values(task.hooks).flat() as ReadonlyArray<{ action: string }>
    const used = [...task.flow.map((s) => s.action), ...hooks.map((h) => h.action)]
    const reason = used.map((a) => linked.get(a)?.unsupported).find((r) => r)
    out.set(name, task.unavailable === null && reason ? { ...task, unavailable: reason } : task)
  }
  return out
}

/** Links `raw` against the serving versions `peer` gives (null: that workspace has none). */
export function linkWorkspace(
  raw: Workspace,
  peer: (name: string) => Workspace | null,
): LinkResult {
  const refs = raw.references ?? []
  if (refs.length === 0) return { ok: true, workspace: raw, signature: '' }
  const issues: WorkspaceIssue[] = []
  const linked = new Map<string, ActionDef>()
  for (const ref of refs) {
    const got = resolve(raw, ref, peer)
    if ('issue' in got) issues.push(got.issue)
    else linked.set(got.action.name, got.action)
  }
  if (issues.length > 0) return { ok: false, issues: sortIssues(issues) }
  const signature = [...linked.values()]
    .map(
      (a) =>
        `${a.name}@${a.origin?.workspace?.revision ?? a.origin?.files.revision ?? raw.revision}`,
    )
    .sort()
    .join(',')
  const workspace: Workspace = {
    ...raw,
    actions: new Map([...raw.actions, ...linked]),
    tasks: markUnavailable(raw.tasks, linked),
  }
  return { ok: true, workspace, signature }
}
