/**
 * Workspace validation (WORKSPACE-FORMAT.md §10): from parsed files to domain objects plus every
 * diagnostic at once. Pure: the caller supplies the parsed files, the list of files under the root
 * (for `source:` checks), and the environment and clock that secrets read through `get_env` and
 * `now`.
 */
import type { Clock } from '../shared/clock.ts'
import type { ReferenceScope } from './action-refs.ts'
import { everyHook } from './schema-types.ts'
import type { ActionDraft, HookDraft, HooksDraft, TaskDraft } from './schema-types.ts'
import type { FileDefs } from './schema-types.ts'
import { checkSources, resolveCustomTypes } from './validate-actions.ts'
import { validateFlows, type RefCollector } from './validate-flow.ts'
import { mergeFiles } from './validate-merge.ts'
import type { MergedDefs } from './validate-merge.ts'
import { validateSecrets } from './validate-secrets.ts'
import { inheritUnavailable, subtaskUses, validateSubtasks } from './validate-subtasks.ts'
import { validateTemplates } from './validate-templates.ts'
import { validateTriggers } from './validate-triggers.ts'
import { readWorkspaceFile } from './workspace-schema.ts'
import { sortIssues } from './workspace.ts'
import type {
  ActionDef,
  HookDef,
  TaskDef,
  TaskHooks,
  TriggerDef,
  WorkspaceIssue,
  WorkspaceReference,
} from './workspace.ts'
import type { YamlFile } from './yaml-source.ts'

export interface WorkspaceDocument {
  readonly source: YamlFile
  /** Default task folder: the file's sub-directory under the definitions folder, or null. */
  readonly folder: string | null
}

export interface ValidateOptions {
  /** Every file under the workspace root, relative and `/`-separated (for `source:` checks). */
  readonly files: ReadonlySet<string>
  /**
   * The libraries to import and the workspaces a dotted action name may name; absent (a folder
   * validated on its own), dotted names are left unchecked.
   */
  readonly scope?: ReferenceScope
  /** Environment visible to `get_env` in secret values. */
  readonly secretsEnv?: Readonly<Record<string, string | undefined>>
  /** Behind `now()` in secret values. */
  readonly clock: Pick<Clock, 'now'>
}

/** The built definitions, valid only when `issues` holds no error. */
export interface ValidatedDefinitions {
  /** All diagnostics, sorted by file, line and column. */
  readonly issues: ReadonlyArray<WorkspaceIssue>
  readonly actions: ReadonlyMap<string, ActionDef>
  readonly tasks: ReadonlyMap<string, TaskDef>
  readonly triggers: ReadonlyMap<string, TriggerDef>
  readonly secrets: Readonly<Record<string, unknown>>
  readonly hooks: TaskHooks
  /** Steps and hooks naming another workspace's action, to link. */
  readonly references: ReadonlyArray<WorkspaceReference>
  /** The workspace's own definitions with their positions (what a library import renames). */
  readonly drafts: {
    readonly actions: ReadonlyMap<string, ActionDraft>
    readonly tasks: ReadonlyMap<string, TaskDraft>
  }
}

/** The definitions the workspace imports from its libraries, merged. */
interface Imported {
  readonly actions: ReadonlyMap<string, ActionDef>
  readonly tasks: ReadonlyMap<string, TaskDef>
  readonly actionDrafts: ReadonlyMap<string, ActionDraft>
  readonly taskDrafts: ReadonlyMap<string, TaskDraft>
}

function importedFrom(scope: ReferenceScope | undefined): Imported {
  const out = {
    actions: new Map<string, ActionDef>(),
    tasks: new Map<string, TaskDef>(),
    actionDrafts: new Map<string, ActionDraft>(),
    taskDrafts: new Map<string, TaskDraft>(),
  }
  for (const lib of scope?.libraries.values() ?? []) {
    if (!lib.ok) continue
    for (const [k, v] of lib.actions) out.actions.set(k, v)
    for (const [k, v] of lib.tasks) out.tasks.set(k, v)
    for (const [k, v] of lib.actionDrafts) out.actionDrafts.set(k, v)
    for (const [k, v] of lib.taskDrafts) out.taskDrafts.set(k, v)
  }
  return out
}

/** Why things cannot run in this release, by task and by action name. */
interface Unavailable {
  readonly tasks: ReadonlyArray<ReadonlyMap<string, string>>
  readonly actions: ReadonlyArray<ReadonlyMap<string, string>>
}

function firstOf(maps: ReadonlyArray<ReadonlyMap<string, string>>, key: string): string | null {
  for (const m of maps) {
    const found = m.get(key)
    if (found !== undefined) return found
  }
  return null
}

/** Named actions plus the inline actions of every step (`_inline:<task>:<step>`). */
function allActions(merged: MergedDefs): Map<string, ActionDraft> {
  const out = new Map(merged.actions)
  for (const task of merged.tasks.values()) {
    for (const step of task.steps) if (step.inline) out.set(step.inline.def.name, step.inline)
  }
  return out
}

function hookDefs(hooks: HooksDraft): TaskHooks {
  const defs = (list: ReadonlyArray<HookDraft>): HookDef[] => list.map((h) => h.def)
  return {
    onSuccess: defs(hooks.onSuccess),
    onError: defs(hooks.onError),
    onCancel: defs(hooks.onCancel),
    onSuspended: defs(hooks.onSuspended),
  }
}

function taskUnavailable(
  task: TaskDraft,
  actions: ReadonlyMap<string, ActionDef>,
  why: Unavailable,
): string | null {
  const own = task.unsupported ?? firstOf(why.tasks, task.def.name)
  if (own !== null) return own
  const hooks = everyHook(task.hooks)
  const used = [...task.steps.map((s) => s.def.action), ...hooks.map((h) => h.def.action)]
  for (const name of used) {
    const reason = actions.get(name)?.unsupported
    if (reason) return reason
  }
  return null
}

function build(
  merged: MergedDefs,
  drafts: ReadonlyMap<string, ActionDraft>,
  why: Unavailable,
  imported: Imported,
) {
  const actions = new Map<string, ActionDef>(imported.actions)
  for (const [name, a] of drafts) {
    if (a.def.origin) continue
    actions.set(name, { ...a.def, unsupported: a.def.unsupported ?? firstOf(why.actions, name) })
  }
  const own = new Map([...imported.tasks].map(([n, t]) => [n, t.unavailable]))
  for (const [n, t] of merged.tasks) own.set(n, taskUnavailable(t, actions, why))
  const uses = subtaskUses(merged.tasks, merged.hooks, drafts)
  const unavailable = inheritUnavailable(own, uses)
  const tasks = new Map<string, TaskDef>(imported.tasks)
  for (const [name, t] of merged.tasks) {
    tasks.set(name, {
      ...t.def,
      flow: t.steps.map((s) => s.def),
      hooks: hookDefs(t.hooks),
      unavailable: unavailable.get(name) ?? null,
    })
  }
  const triggers = new Map([...merged.triggers].map(([name, t]) => [name, t.def] as const))
  return { actions, tasks, triggers, hooks: hookDefs(merged.hooks) }
}

function readFiles(
  documents: ReadonlyArray<WorkspaceDocument>,
  issues: WorkspaceIssue[],
): FileDefs[] {
  const files: FileDefs[] = []
  for (const d of documents) {
    issues.push(...d.source.issues)
    if (!d.source.usable) continue
    const defs = readWorkspaceFile(d.source, d.folder)
    issues.push(...defs.issues)
    files.push(defs)
  }
  return files
}

/** Validates the files of one workspace, given in load order (sorted by path). Never throws. */
export function validateWorkspace(
  documents: ReadonlyArray<WorkspaceDocument>,
  opts: ValidateOptions,
): ValidatedDefinitions {
  const issues: WorkspaceIssue[] = []
  const merged = mergeFiles(readFiles(documents, issues), issues)
  const own = allActions(merged)
  const imported = importedFrom(opts.scope)
  // Lookups see the libraries' actions too; checks that walk definitions see only the own ones.
  const drafts = new Map([...imported.actionDrafts, ...own])
  const refs: RefCollector = { scope: opts.scope ?? null, references: [] }
  issues.push(...validateFlows(merged.tasks, merged.hooks, drafts, refs))
  issues.push(...validateSubtasks(merged.tasks, merged.hooks, drafts, imported.taskDrafts))
  issues.push(...checkSources(own.values(), opts.files))
  const types = resolveCustomTypes(merged.customTypes, merged.connectionTypes)
  const scope = { tasks: merged.tasks, actions: drafts, workspaceHooks: merged.hooks }
  const templates = validateTemplates(merged.templates, scope)
  issues.push(...types.issues, ...templates.issues)
  const triggerTasks = new Map([...imported.taskDrafts, ...merged.tasks])
  issues.push(...validateTriggers(merged.triggers, triggerTasks))
  const secrets = validateSecrets(merged.secrets, { env: opts.secretsEnv ?? {}, clock: opts.clock })
  issues.push(...secrets.issues)
  const why: Unavailable = {
    tasks: [types.unsupportedTasks, templates.unsupportedTasks],
    actions: [types.unsupportedActions, templates.unsupportedActions],
  }
  return {
    issues: sortIssues(issues),
    ...build(merged, drafts, why, imported),
    secrets: secrets.values,
    references: refs.references,
    drafts: { actions: own, tasks: merged.tasks },
  }
}
