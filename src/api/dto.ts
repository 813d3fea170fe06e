/**
 * Domain -> snake_case JSON shapes of API.md. Unset values are null, never omitted. Each shape has
 * a zod schema beside its mapper: the mapper's return type is the schema's, so the two cannot
 * drift, and the OpenAPI document (openapi/) describes responses with them.
 */
import { z } from 'zod'
import { isSecretInputName, maskSecretInputs } from '../flow/secret-values.ts'
import { SECRET_MASK } from '../shared/secret-mask.ts'
import type { WorkspaceEntry } from '../workspace/workspace-registry.ts'
import {
  ISSUE_SEVERITIES,
  TRIGGER_TYPES,
  type InputSchema,
  type TaskDef,
  type TriggerDef,
  type Workspace,
} from '../workspace/workspace.ts'

export function iso(d: Date | null | undefined): string | null {
  return d ? d.toISOString() : null
}

/** An RFC 3339 timestamp in UTC, as every response writes them. */
export const timestampDto = z.string().meta({ format: 'date-time' })

/** Any JSON value (inputs, outputs, declared YAML). */
export const jsonDto = z.unknown()

const workspaceIssueDto = z.object({
  severity: z.enum(ISSUE_SEVERITIES),
  code: z.string(),
  file: z.string(),
  line: z.int(),
  column: z.int(),
  path: z.string(),
  message: z.string(),
})

export const workspaceDto = z.object({
  name: z.string(),
  tasks_count: z.int(),
  actions_count: z.int(),
  triggers_count: z.int(),
  revision: z.string().nullable(),
  error: z.string().nullable(),
  /** The last failed load's diagnostics, structured (WORKSPACE-FORMAT.md §10.1); [] after a good load. */
  issues: z.array(workspaceIssueDto),
  /** Warnings of the version being served. */
  warnings: z.array(workspaceIssueDto),
})
export type WorkspaceDto = z.output<typeof workspaceDto>

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
    issues: [...e.issues],
    warnings: ws ? ws.issues.filter((i) => i.severity === 'warning') : [],
  }
}

export function hasEnabledTrigger(ws: Workspace, task: string): boolean {
  for (const t of ws.triggers.values()) if (t.task === task && t.enabled) return true
  return false
}

export const taskSummaryDto = z.object({
  id: z.string(),
  name: z.string(),
  workspace: z.string(),
  mode: z.enum(['distributed', 'local']),
  has_triggers: z.boolean(),
  display_name: z.string().nullable(),
  description: z.string().nullable(),
  folder: z.string().optional(),
})

export function toTaskSummaryDto(ws: Workspace, t: TaskDef): z.output<typeof taskSummaryDto> {
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

export const triggerDto = z.object({
  name: z.string(),
  type: z.enum(TRIGGER_TYPES),
  cron: z.string().nullable(),
  timezone: z.string().nullable(),
  task: z.string(),
  enabled: z.boolean(),
  input: z.record(z.string(), jsonDto),
  next_runs: z.array(timestampDto),
  last_fired_at: timestampDto.nullable(),
  last_job_id: z.string().nullable(),
  /** Webhook triggers: where they are served, and whether a signature is required. */
  path: z.string().optional(),
  signature_required: z.boolean().optional(),
})
export type TriggerDto = z.output<typeof triggerDto>

export function toTriggerDto(
  ws: Workspace,
  t: TriggerDef,
  nextRuns: ReadonlyArray<Date>,
  fire: TriggerFire | undefined,
): TriggerDto {
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

export const taskDetailDto = taskSummaryDto.extend({
  /** The declared input schema (secret defaults read "******"). */
  input: z.record(z.string(), jsonDto),
  /** Each step as declared in YAML. */
  flow: z.record(z.string(), jsonDto),
  triggers: z.array(triggerDto),
  /** Why the task cannot run on this server, or null. */
  unavailable: z.string().nullable(),
})

export function toTaskDetailDto(
  ws: Workspace,
  t: TaskDef,
  triggers: ReadonlyArray<TriggerDto>,
): z.output<typeof taskDetailDto> {
  const flow: Record<string, unknown> = {}
  for (const step of t.flow) flow[step.name] = step.declared
  return {
    ...toTaskSummaryDto(ws, t),
    input: toInputSchemaDto(t.declaredInput, t.input),
    flow,
    triggers: [...triggers],
    unavailable: t.unavailable,
  }
}
