/** Domain -> snake_case JSON shapes of API.md. Unset values are null, never omitted. */
import { isSecretInputName, maskSecretInputs } from '../flow/secret-values.ts'
import { SECRET_MASK } from '../shared/secret-mask.ts'
import type { WorkspaceEntry } from '../workspace/workspace-registry.ts'
import type {
  InputSchema,
  TaskDef,
  TriggerDef,
  Workspace,
  WorkspaceIssue,
} from '../workspace/workspace.ts'

export function iso(d: Date | null | undefined): string | null {
  return d ? d.toISOString() : null
}

export interface WorkspaceDto {
  name: string
  tasks_count: number
  actions_count: number
  triggers_count: number
  revision: string | null
  error: string | null
  /** The last failed load's diagnostics, structured (WORKSPACE-FORMAT.md §10.1); [] after a good load. */
  issues: ReadonlyArray<WorkspaceIssue>
  /** Warnings of the version being served. */
  warnings: ReadonlyArray<WorkspaceIssue>
}

/** Counts declared actions; inline step actions are part of their task, not of this count. */
export function toWorkspaceDto(e: WorkspaceEntry): WorkspaceDto {
  const ws = e.current
  const actions = ws ? [...ws.actions.keys()].filter((n) => !n.startsWith('_inline:')).length : 0
  return {
    name: e.name,
    tasks_count: ws?.tasks.size ?? 0,
    actions_count: actions,
    triggers_count: ws?.triggers.size ?? 0,
    revision: ws?.revision ?? null,
    error: e.error,
    issues: e.issues,
    warnings: ws ? ws.issues.filter((i) => i.severity === 'warning') : [],
  }
}

export function hasEnabledTrigger(ws: Workspace, task: string): boolean {
  for (const t of ws.triggers.values()) if (t.task === task && t.enabled) return true
  return false
}

export function toTaskSummaryDto(ws: Workspace, t: TaskDef): Record<string, unknown> {
  return {
    id: t.name,
    name: t.name,
    workspace: ws.name,
    mode: t.mode,
    has_triggers: hasEnabledTrigger(ws, t.name),
    display_name: t.displayName,
    description: t.description,
    ...(t.folder !== null ? { folder: t.folder } : {}),
  }
}

/** The declared input schema; defaults of secret fields (declared, or string defaults of secret-looking names) read "******". */
export function toInputSchemaDto(
  declared: Readonly<Record<string, unknown>>,
  schema: InputSchema,
): Record<string, unknown> {
  const secret = new Set(schema.filter(([, f]) => f.secret).map(([name]) => name))
  const out: Record<string, unknown> = {}
  for (const [name, field] of Object.entries(declared)) {
    const hasDefault = field !== null && typeof field === 'object' && 'default' in field
    const looksSecret = hasDefault && typeof field.default === 'string' && isSecretInputName(name)
    if (hasDefault && (secret.has(name) || looksSecret)) {
      out[name] = { ...field, default: SECRET_MASK }
    } else {
      out[name] = field
    }
  }
  return out
}

export interface TriggerFire {
  readonly lastFiredAt: Date | null
  readonly lastJobId: string | null
}

export function toTriggerDto(
  ws: Workspace,
  t: TriggerDef,
  nextRuns: ReadonlyArray<Date>,
  fire: TriggerFire | undefined,
): Record<string, unknown> {
  const base = {
    name: t.name,
    type: t.type,
    cron: t.type === 'scheduler' ? t.cron : null,
    timezone: t.type === 'scheduler' ? t.timezone : null,
    task: t.task,
    enabled: t.enabled,
    input: maskSecretInputs(ws.tasks.get(t.task)?.input, t.input, SECRET_MASK),
    next_runs: nextRuns.map((d) => d.toISOString()),
    last_fired_at: iso(fire?.lastFiredAt),
    last_job_id: fire?.lastJobId ?? null,
  }
  if (t.type !== 'webhook') return base
  return { ...base, path: `/hooks/${ws.name}/${t.name}`, signature_required: t.secret !== null }
}

export function toTaskDetailDto(
  ws: Workspace,
  t: TaskDef,
  triggers: ReadonlyArray<Record<string, unknown>>,
): Record<string, unknown> {
  const flow: Record<string, unknown> = {}
  for (const step of t.flow) flow[step.name] = step.declared
  return {
    ...toTaskSummaryDto(ws, t),
    input: toInputSchemaDto(t.declaredInput, t.input),
    flow,
    triggers,
    unavailable: t.unavailable,
  }
}
