/**
 * Renders a claimed step (WORKSPACE-FORMAT.md §8.2, §9.1): the step input from the job input and
 * upstream outputs, the prepared action input, then the action body, env and args; plus the
 * identity and WEIR_INPUT_* variables. Pure; template errors throw TemplateError.
 */
import type { Clock } from '../shared/clock.ts'
import { templateStepName } from '../workspace/workspace.ts'
import type { ContainerDef, ScriptLanguage } from '../workspace/workspace.ts'
import type { StepSpec } from './step-spec.ts'
import { renderRecord, renderTemplate } from '../templates/render.ts'

export interface RenderContext {
  readonly jobId: string
  readonly workspace: string
  readonly taskName: string
  readonly stepName: string
  readonly attempt: number
  readonly jobInput: Readonly<Record<string, unknown>>
  readonly secret: Readonly<Record<string, unknown>>
  /** Another workspace's action renders with that workspace's secrets (default: `secret`). */
  readonly actionSecret?: Readonly<Record<string, unknown>>
  /** Outputs of completed steps of the job, by step name. */
  readonly outputs: ReadonlyMap<string, unknown>
  /** The values of the task's and the workspace's newest state snapshots (none: `{}`). */
  readonly state?: Readonly<Record<string, unknown>>
  readonly globalState?: Readonly<Record<string, unknown>>
  /** Behind the templates' `now()`. */
  readonly clock: Pick<Clock, 'now'>
}

export interface RenderedAction {
  readonly language: ScriptLanguage
  readonly interpreter: string | null
  readonly script: string | null
  readonly source: string | null
  readonly args: ReadonlyArray<string>
  /** A container step: its image rendered (null: the worker's runner image), the rest as declared. */
  readonly container: ContainerDef | null
}

export interface RenderedStep {
  /** The prepared action input (what the step row shows once claimed). */
  readonly input: Record<string, unknown>
  readonly action: RenderedAction
  /** Variables the executor sets on top of the worker's own environment. */
  readonly env: Record<string, string>
}

export function renderStep(spec: StepSpec, ctx: RenderContext): RenderedStep {
  // A loop instance sees `each` (its item, index and the loop's size) everywhere.
  const state = { state: ctx.state ?? {}, global_state: ctx.globalState ?? {} }
  const upstream = spec.each
    ? { ...state, ...outputsContext(ctx.outputs), each: spec.each }
    : { ...state, ...outputsContext(ctx.outputs) }
  const options = { clock: ctx.clock }
  const stepInput = spec.inputIsLiteral
    ? { ...spec.input }
    : renderRecord(spec.input, { ...upstream, input: ctx.jobInput, secret: ctx.secret }, options)
  const input = prepareActionInput(spec, stepInput, ctx.jobInput)
  const bodyCtx = { ...upstream, input, secret: ctx.actionSecret ?? ctx.secret }
  const a = spec.action
  const script = a.script === null ? null : renderTemplate(a.script, bodyCtx, options)
  const source = a.source === null ? null : renderTemplate(a.source, bodyCtx, options)
  const args = a.args.map((x) => renderTemplate(x, bodyCtx, options)).filter((x) => x !== '')
  const c = a.container ?? null
  const container =
    c === null || c.image === null
      ? c
      : { ...c, image: renderTemplate(c.image, bodyCtx, options).trim() }
  const actionEnv = renderRecord(a.env, bodyCtx, options)
  const env: Record<string, string> = { PYTHONUNBUFFERED: '1' }
  for (const [k, v] of Object.entries(actionEnv)) env[k] = stringify(v)
  Object.assign(env, identityEnv(ctx), inputEnv(input))
  return {
    input,
    action: { language: a.language, interpreter: a.interpreter, script, source, args, container },
    env,
  }
}

/** Rendered step input; then each action input the step did not set: job input, else default. */
function prepareActionInput(
  spec: StepSpec,
  stepInput: Record<string, unknown>,
  jobInput: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const input = { ...stepInput }
  for (const [name, field] of spec.action.input) {
    if (input[name] !== undefined) continue
    const fromJob = jobInput[name]
    if (fromJob !== undefined && fromJob !== null) input[name] = fromJob
    else if (field.default !== undefined) input[name] = field.default
  }
  return input
}

function outputsContext(outputs: ReadonlyMap<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, output] of outputs) out[templateStepName(name)] = { output: output ?? null }
  return out
}

function identityEnv(ctx: RenderContext): Record<string, string> {
  return {
    STROEM_JOB_ID: ctx.jobId,
    STROEM_TASK_NAME: ctx.taskName,
    STROEM_STEP_NAME: ctx.stepName,
    STROEM_WORKSPACE: ctx.workspace,
    WEIR_JOB_ID: ctx.jobId,
    WEIR_TASK_NAME: ctx.taskName,
    WEIR_STEP_NAME: ctx.stepName,
    WEIR_WORKSPACE: ctx.workspace,
    WEIR_ATTEMPT: String(ctx.attempt),
  }
}

/** WEIR_INPUT_<NAME>: upper-cased, other characters -> `_`; lists, maps and numbers JSON-encoded. */
export function inputEnvName(name: string): string {
  return `WEIR_INPUT_${name.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`
}

function inputEnv(input: Readonly<Record<string, unknown>>): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(input)) {
    if (v === undefined || v === null) continue
    env[inputEnvName(k)] = stringify(v)
  }
  return env
}

function stringify(v: unknown): string {
  if (typeof v === 'string') return v
  if (v === null || v === undefined) return ''
  return JSON.stringify(v)
}
