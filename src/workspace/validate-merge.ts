/**
 * Merging the files of one workspace (WORKSPACE-FORMAT.md §1.2): named maps are unioned, hook lists
 * concatenated in file order. A name defined twice is an error naming the first place (Strøm lets
 * the later file win silently, which hides mistakes).
 */
import type {
  ActionDraft,
  CustomTypeRef,
  FileDefs,
  HookDraft,
  HooksDraft,
  SecretDraft,
  TaskDraft,
  TemplateSite,
  TriggerDraft,
} from './schema-types.ts'
import type { WorkspaceIssue } from './workspace.ts'
import { issueAt } from './yaml-source.ts'
import type { Site } from './yaml-source.ts'

export interface MergedDefs {
  readonly actions: ReadonlyMap<string, ActionDraft>
  readonly tasks: ReadonlyMap<string, TaskDraft>
  readonly triggers: ReadonlyMap<string, TriggerDraft>
  readonly secrets: ReadonlyMap<string, SecretDraft>
  readonly connectionTypes: ReadonlySet<string>
  readonly hooks: HooksDraft
  readonly templates: ReadonlyArray<TemplateSite>
  readonly customTypes: ReadonlyArray<CustomTypeRef>
}

function where(s: Site): string {
  return `${s.file}:${s.line}:${s.column}`
}

function unite<T extends { readonly site: Site }>(
  kind: string,
  lists: ReadonlyArray<ReadonlyArray<readonly [string, T]>>,
  issues: WorkspaceIssue[],
): Map<string, T> {
  const out = new Map<string, T>()
  for (const list of lists) {
    for (const [name, item] of list) {
      const first = out.get(name)
      if (first === undefined) out.set(name, item)
      else {
        const msg = `${kind} '${name}' is already defined at ${where(first.site)}`
        issues.push(issueAt(item.site, 'error', 'duplicate-definition', msg))
      }
    }
  }
  return out
}

function concatHooks(files: ReadonlyArray<FileDefs>, key: keyof HooksDraft): HookDraft[] {
  return files.flatMap((f) => f.hooks[key])
}

/** Merges files given in load order (sorted by path); duplicates are reported into `issues`. */
export function mergeFiles(files: ReadonlyArray<FileDefs>, issues: WorkspaceIssue[]): MergedDefs {
  return {
    actions: unite(
      'action',
      files.map((f) => f.actions.map((a) => [a.def.name, a] as const)),
      issues,
    ),
    tasks: unite(
      'task',
      files.map((f) => f.tasks.map((t) => [t.def.name, t] as const)),
      issues,
    ),
    triggers: unite(
      'trigger',
      files.map((f) => f.triggers.map((t) => [t.def.name, t] as const)),
      issues,
    ),
    secrets: unite(
      'secret',
      files.map((f) => f.secrets.map((s) => [s.name, s] as const)),
      issues,
    ),
    connectionTypes: new Set(files.flatMap((f) => f.connectionTypes)),
    hooks: {
      onSuccess: concatHooks(files, 'onSuccess'),
      onError: concatHooks(files, 'onError'),
      onCancel: concatHooks(files, 'onCancel'),
      onSuspended: concatHooks(files, 'onSuspended'),
    },
    templates: files.flatMap((f) => f.templates),
    customTypes: files.flatMap((f) => f.customTypes),
  }
}
