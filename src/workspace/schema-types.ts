/**
 * What the shape readers extract from one file: domain objects built as far as the file alone
 * allows, plus the positions the cross-file checks need to point at.
 */
import type {
  ActionDef,
  HookDef,
  StepDef,
  TaskDef,
  TriggerDef,
  WorkspaceIssue,
} from './workspace.ts'
import type { Site } from './yaml-source.ts'

/** Which variables a template may use is decided by where it sits (WORKSPACE-FORMAT.md §8.2). */
export type TemplateUse =
  | { readonly kind: 'input-default' }
  | {
      readonly kind: 'step'
      readonly task: string
      readonly step: string
      /** `input` values see `each` in loop steps; `when` and `for_each` never do (§5.7). */
      readonly part: 'input' | 'when' | 'for_each'
    }
  | { readonly kind: 'action'; readonly action: string }
  /** An approval's `message`: its `input` is the rendered step input, not the action's schema. */
  | { readonly kind: 'approval-message'; readonly action: string }
  | { readonly kind: 'hook' }
  | { readonly kind: 'webhook-input' }
  | { readonly kind: 'webhook-secret' }

export interface TemplateSite {
  readonly text: string
  readonly site: Site
  readonly use: TemplateUse
}

/** An input field whose `type` is not built in: a connection type ([Later]) or a mistake. */
export interface CustomTypeRef {
  readonly owner: { readonly kind: 'task' | 'action'; readonly name: string }
  readonly field: string
  readonly type: string
  readonly site: Site
}

export interface ActionDraft {
  readonly def: ActionDef
  readonly site: Site
  /** Position of `source:` (checked against the workspace files), or null. */
  readonly sourceSite: Site | null
  /** Position of a task action's `task:` value (checked against the workspace's tasks), or null. */
  readonly taskSite: Site | null
}

export interface StepDraft {
  readonly def: StepDef
  readonly site: Site
  /** Position of `action:` in the reference form. */
  readonly actionSite: Site | null
  /** Positions of the `depends_on` items, parallel to `def.dependsOn`. */
  readonly dependsOnSites: ReadonlyArray<Site>
  /** Position of each step input key. */
  readonly inputSites: ReadonlyMap<string, Site>
  readonly inline: ActionDraft | null
  /** Reason the step cannot run in this release, or null. */
  readonly unsupported: string | null
}

export interface HookDraft {
  readonly def: HookDef
  readonly actionSite: Site | null
  /** Position of each hook input key. */
  readonly inputSites: ReadonlyMap<string, Site>
}

export interface HooksDraft {
  readonly onSuccess: ReadonlyArray<HookDraft>
  readonly onError: ReadonlyArray<HookDraft>
  readonly onCancel: ReadonlyArray<HookDraft>
  readonly onSuspended: ReadonlyArray<HookDraft>
}

export const HOOK_LISTS = ['onSuccess', 'onError', 'onCancel', 'onSuspended'] as const

/** Every hook of a task or of the workspace, list by list. */
export function everyHook(hooks: HooksDraft): HookDraft[] {
  return HOOK_LISTS.flatMap((key) => hooks[key])
}

export interface TaskDraft {
  readonly def: Omit<TaskDef, 'flow' | 'hooks' | 'unavailable'>
  readonly site: Site
  readonly steps: ReadonlyArray<StepDraft>
  readonly hooks: HooksDraft
  readonly unsupported: string | null
}

export interface TriggerDraft {
  readonly def: TriggerDef
  readonly site: Site
  readonly taskSite: Site | null
  readonly cronSite: Site | null
  readonly timezoneSite: Site | null
  readonly inputSite: Site | null
  /** The value of a webhook's Strøm `name`. */
  readonly nameSite: Site | null
  /** `target_task` of an event-source trigger. */
  readonly targetTask: { readonly name: string; readonly site: Site } | null
}

/** A secret value: a template string, or a group of named values (`secret.group.key`). */
export type SecretNode =
  | { readonly kind: 'text'; readonly text: string; readonly site: Site }
  | { readonly kind: 'group'; readonly entries: ReadonlyArray<readonly [string, SecretNode]> }

export interface SecretDraft {
  readonly name: string
  readonly site: Site
  readonly value: SecretNode
}

/** Everything read from one file, before merging. */
export interface FileDefs {
  readonly file: string
  readonly actions: ReadonlyArray<ActionDraft>
  readonly tasks: ReadonlyArray<TaskDraft>
  readonly triggers: ReadonlyArray<TriggerDraft>
  readonly secrets: ReadonlyArray<SecretDraft>
  readonly connectionTypes: ReadonlyArray<string>
  readonly hooks: HooksDraft
  readonly templates: ReadonlyArray<TemplateSite>
  readonly customTypes: ReadonlyArray<CustomTypeRef>
  /** Shape diagnostics of this file (parse diagnostics stay on the YamlFile). */
  readonly issues: ReadonlyArray<WorkspaceIssue>
}
