/**
 * Domain types of a loaded workspace (WORKSPACE-FORMAT.md). Everything here is readonly and a
 * loaded workspace is deep-frozen: jobs keep a reference to the version they were planned from.
 */

/** Where a definition came from, for diagnostics and `duplicate-definition` messages. */
export interface SourceRef {
  readonly file: string // relative to the workspace root
  readonly line: number // 1-based
  readonly column: number // 1-based
}

export const ISSUE_SEVERITIES = ['error', 'warning', 'unsupported'] as const
export type IssueSeverity = (typeof ISSUE_SEVERITIES)[number]

/** One diagnostic (WORKSPACE-FORMAT.md §10.1). */
export interface WorkspaceIssue {
  readonly severity: IssueSeverity
  readonly code: string
  readonly file: string
  readonly line: number
  readonly column: number
  readonly path: string
  readonly message: string
}

export const INPUT_TYPES = [
  'string',
  'text',
  'integer',
  'number',
  'boolean',
  'date',
  'datetime',
] as const
export type InputType = (typeof INPUT_TYPES)[number]

/** One input field of a task or action schema (§4.1). `type: bool` is normalised to `boolean`. */
export interface InputField {
  readonly type: InputType
  readonly name: string | null
  readonly description: string | null
  readonly required: boolean
  /** Absent when the YAML has no `default` (a YAML `null` default counts as absent). */
  readonly default?: unknown
  readonly options: ReadonlyArray<string> | null
  readonly allowCustom: boolean
  readonly multiple: boolean
  readonly secret: boolean
  readonly order: number | null
}

/** Input schema: field name -> field, in declaration order (a ReadonlyArray keeps order exact). */
export type InputSchema = ReadonlyArray<readonly [name: string, field: InputField]>

export interface RetryPolicy {
  readonly maxAttempts: number // total runs including the first, 1..10
  readonly delaySecs: number // > 0, <= 3600
  readonly backoff: 'fixed' | 'exponential'
  readonly jitter: boolean
}

export const SCRIPT_LANGUAGES = ['shell', 'python', 'javascript', 'typescript'] as const
export type ScriptLanguage = (typeof SCRIPT_LANGUAGES)[number]

export const ACTION_TYPES = ['script', 'docker', 'pod', 'task', 'agent', 'approval'] as const
export type ActionType = (typeof ACTION_TYPES)[number]

export const PULL_POLICIES = ['if_not_present', 'always', 'never'] as const
export type PullPolicy = (typeof PULL_POLICIES)[number]

/** `resources` of a container step, as Docker limits; null where the action sets none. */
export interface ContainerResources {
  /** CPU limit in billionths of a CPU (`cpu: 0.5` = 500000000). */
  readonly nanoCpus: number | null
  readonly memoryBytes: number | null
}

/**
 * How a step runs in a container: a `type: docker` action (the image as it is) or a script action
 * with `runner: docker` (the script inside an image, the workspace mounted at /workspace).
 */
export interface ContainerDef {
  /** The image (a template); null for a script whose worker picks its `docker.runner_image`. */
  readonly image: string | null
  /** `type: docker`: a shell command run as `sh -c <cmd>` (exec form `command` wins over it). */
  readonly cmd: string | null
  /** `type: docker`: the entrypoint and the command in exec form; null keeps the image's. */
  readonly entrypoint: ReadonlyArray<string> | null
  readonly command: ReadonlyArray<string> | null
  readonly pullPolicy: PullPolicy
  readonly resources: ContainerResources
}

/** An action (§3). Types `pod` and `agent` load with `unsupported` set. */
export interface ActionDef {
  /** Key in `actions`, or `_inline:<task>:<step>` for inline step actions. */
  readonly name: string
  readonly type: ActionType
  readonly displayName: string | null
  readonly description: string | null
  readonly input: InputSchema
  /** env name -> template */
  readonly env: Readonly<Record<string, string>>
  readonly retry: RetryPolicy | null
  readonly tags: ReadonlyArray<string>
  /** Inline program (a template); exactly one of script/source for script actions. */
  readonly script: string | null
  /** Path relative to the workspace root (a template). */
  readonly source: string | null
  readonly language: ScriptLanguage
  readonly interpreter: string | null
  /** Templated command-line arguments. */
  readonly args: ReadonlyArray<string>
  /** Where a worker runs it: `docker` for a docker action and a script with `runner: docker`. */
  readonly runner: 'local' | 'docker'
  /** Set when the step runs in a container (`runner` is `docker`). */
  readonly container?: ContainerDef
  /** `type: task`: the task each step of this action runs as a child job (§3.4). */
  readonly task: string | null
  /** `type: approval`: what the approver is asked (a template, §3.5). */
  readonly message: string | null
  /** Non-null when the action uses a feature this release does not run (its steps' tasks become unavailable). */
  readonly unsupported: string | null
  /** Set for an action that is not the workspace's own: a library's, or another workspace's. */
  readonly origin?: ActionOrigin
  readonly at: SourceRef
}

/** The files an action runs with: `source:` paths and the working directory resolve in `root`. */
export interface ActionFiles {
  readonly kind: 'workspace' | 'library'
  readonly name: string
  readonly revision: string
  readonly root: string
}

/**
 * Where an action comes from when it is not the workspace's own (STROEM-REFERENCE.md §1.1): a
 * library imported as `<library>.<name>`, or another workspace's action named `<workspace>.<name>`,
 * which renders with that workspace's secrets at the revision it had when the job was created.
 */
export interface ActionOrigin {
  /** Another workspace's action: the workspace and revision whose secrets render it. */
  readonly workspace: { readonly name: string; readonly revision: string } | null
  readonly files: ActionFiles
}

/** A step (or hook) naming another workspace's action (`<workspace>.<action>`), resolved when linked. */
export interface WorkspaceReference {
  readonly workspace: string
  readonly action: string
  /** Where the step's `action:` is, for diagnostics. */
  readonly file: string
  readonly line: number
  readonly column: number
  readonly path: string
}

/** A flow step (§5.2). */
export interface StepDef {
  readonly name: string
  /** The action to run: a key of `Workspace.actions` (inline actions are registered there too). */
  readonly action: string
  readonly displayName: string | null
  readonly description: string | null
  readonly dependsOn: ReadonlyArray<string>
  /** Step input values: strings are templates, other YAML values pass through (§8.4). */
  readonly input: Readonly<Record<string, unknown>>
  readonly continueOnFailure: boolean
  readonly when: string | null
  readonly timeoutSecs: number | null
  /** Step-level retry, replacing the action's as a whole; null = use the action's (or none). */
  readonly retry: RetryPolicy | null
  /** `for_each`: a literal list, or a template rendering to a JSON array; null: not a loop (§5.7). */
  readonly forEach: ReadonlyArray<unknown> | string | null
  /** `sequential: true`: the loop's instances run one after another. */
  readonly sequential: boolean
  /** The step's keys as declared in YAML (plain JSON), echoed by the task detail API. */
  readonly declared: Readonly<Record<string, unknown>>
  readonly at: SourceRef
}

/** A hook entry (§5.6). */
export interface HookDef {
  readonly action: string
  /** Hook input templates (see only `hook` and `secret`). */
  readonly input: Readonly<Record<string, unknown>>
  readonly at: SourceRef
}

export interface TaskHooks {
  readonly onSuccess: ReadonlyArray<HookDef>
  readonly onError: ReadonlyArray<HookDef>
  readonly onCancel: ReadonlyArray<HookDef>
  /** Fired when a step of the job waits for an approval. */
  readonly onSuspended: ReadonlyArray<HookDef>
}

/** A task (§5.1). */
export interface TaskDef {
  readonly name: string
  readonly displayName: string | null
  readonly description: string | null
  readonly mode: 'distributed' | 'local'
  readonly folder: string | null
  readonly input: InputSchema
  /** False when the task declares no `input` key at all (then any input keys are accepted, §4.4). */
  readonly declaresInput: boolean
  /** The task's `input` as declared in YAML (plain JSON), echoed by the task detail API. */
  readonly declaredInput: Readonly<Record<string, unknown>>
  /** Steps in YAML order (display order only; the DAG comes from depends_on). */
  readonly flow: ReadonlyArray<StepDef>
  readonly timeoutSecs: number | null
  /** Whole-task retry: a failed job is run again as a new job (retry_of_job_id), after the delay. */
  readonly retry: RetryPolicy | null
  readonly hooks: TaskHooks
  /** Non-null when the task uses a [Later] feature: listed, but execute answers 400 with this reason. */
  readonly unavailable: string | null
  readonly at: SourceRef
}

export const TRIGGER_TYPES = ['scheduler', 'webhook', 'event_source'] as const
export type TriggerType = (typeof TRIGGER_TYPES)[number]
export const CONCURRENCY_POLICIES = ['allow', 'skip', 'cancel_previous'] as const
export type ConcurrencyPolicy = (typeof CONCURRENCY_POLICIES)[number]
export const CATCH_UP_POLICIES = ['none', 'latest', 'all'] as const
export type CatchUpPolicy = (typeof CATCH_UP_POLICIES)[number]

/** A trigger (§6). Fields that do not apply to a type are null. */
export interface TriggerDef {
  readonly name: string
  readonly type: TriggerType
  readonly task: string
  readonly enabled: boolean
  /** Trigger input as declared (scheduler: verbatim job input; webhook: templates with `webhook.*`). */
  readonly input: Readonly<Record<string, unknown>>
  // scheduler
  readonly cron: string | null
  readonly timezone: string
  readonly concurrency: ConcurrencyPolicy
  readonly catchUp: CatchUpPolicy | null // null = server default
  readonly maxCatchUp: number | null
  readonly forceRefresh: boolean
  // webhook
  /** Strøm's webhook `name` (served at /hooks/<name> with Strøm semantics). */
  readonly webhookName: string | null
  /** The signing secret template (e.g. "{{ secret.KEY }}"), rendered with `secret` at load. */
  readonly secret: string | null
  readonly webhookMode: 'async' | 'sync' | null
  readonly timeoutSecs: number | null
  readonly at: SourceRef
}

/** A loaded, validated, frozen workspace version. */
export interface Workspace {
  readonly name: string
  /** Absolute path of the workspace root (scripts run here; `source:` paths resolve here). */
  readonly root: string
  /** Hex content hash over every file path and content under the root (.git excluded). */
  readonly revision: string
  readonly actions: ReadonlyMap<string, ActionDef>
  readonly tasks: ReadonlyMap<string, TaskDef>
  readonly triggers: ReadonlyMap<string, TriggerDef>
  /** Rendered secret values (nested maps allowed), for templates as `secret.*`; never sent out. */
  readonly secrets: Readonly<Record<string, unknown>>
  /** Workspace-level fallback hooks. */
  readonly hooks: TaskHooks
  /** Warnings and `unsupported` diagnostics of this version (errors prevent a Workspace from existing). */
  readonly issues: ReadonlyArray<WorkspaceIssue>
  /** Steps naming another workspace's action; those actions join `actions` when linked. */
  readonly references?: ReadonlyArray<WorkspaceReference>
}

/** The outcome of loading one workspace folder: a workspace, or the full list of problems. */
export type LoadResult =
  | { readonly ok: true; readonly workspace: Workspace }
  | {
      readonly ok: false
      readonly issues: ReadonlyArray<WorkspaceIssue>
      readonly revision: string | null
      /** Other workspaces' actions its steps name, so they are checked along with the rest. */
      readonly references?: ReadonlyArray<WorkspaceReference>
    }

/** Formats one issue as `<file>:<line>:<column> <yaml-path>: <message>  [<code>]` (§10.1). */
export function formatIssue(i: WorkspaceIssue): string {
  return `${i.file}:${i.line}:${i.column} ${i.path}: ${i.message}  [${i.code}]`
}

/** Sorts issues by file, then line, then column (stable for equal positions). */
export function sortIssues(issues: ReadonlyArray<WorkspaceIssue>): WorkspaceIssue[] {
  return [...issues].sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column,
  )
}

/** Template name of a step: `-` replaced by `_` (§8.3). */
export function templateStepName(stepName: string): string {
  return stepName.replaceAll('-', '_')
}
