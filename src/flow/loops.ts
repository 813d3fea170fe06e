/**
 * `for_each` loops (WORKSPACE-FORMAT.md §5.2, Strøm's semantics): a ready loop step becomes its
 * instances `name[0]`, `name[1]`, … (parallel, or one after another with `sequential`), each with
 * `each.item`, `each.index` and `each.total`; the loop step runs (on the server) until every
 * instance is terminal, then ends with the list of their outputs in index order. Pure.
 */
import { renderValue } from '../templates/render.ts'
import type { Clock } from '../shared/clock.ts'
import type { StepStatus } from '../shared/statuses.ts'
import type { StepRun } from './job.ts'
import type { PlannedStep } from './plan-job.ts'
import type { StepEventType } from './state-machine.ts'

/** Most instances one loop may have. */
export const MAX_LOOP_ITEMS = 10_000

export type LoopItems =
  | { readonly ok: true; readonly items: ReadonlyArray<unknown> }
  | { readonly ok: false; readonly error: string }

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`
}

/**
 * The items of a loop: a literal list as written, or a template rendered with `ctx` whose text
 * must be a JSON array (`{{ step.output.items | json_encode() }}`; a single `{{ path }}` that
 * resolves to a list is taken as is).
 */
export function loopItems(
  forEach: ReadonlyArray<unknown> | string,
  ctx: Readonly<Record<string, unknown>>,
  clock: Pick<Clock, 'now'>,
): LoopItems {
  let items: unknown
  if (typeof forEach !== 'string') items = forEach
  else {
    let rendered: unknown
    try {
      // A single `{{ path }}` keeps a list as a list (WORKSPACE-FORMAT.md §8.4).
      rendered = renderValue(forEach, ctx, { clock })
    } catch (e) {
      return { ok: false, error: `for_each failed to render: ${(e as Error).message}` }
    }
    const text = typeof rendered === 'string' ? rendered : JSON.stringify(rendered)
    try {
      items = Array.isArray(rendered) ? rendered : JSON.parse(text)
    } catch {
      const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text
      return {
        ok: false,
        error: `for_each must render to a JSON array, got '${shown}' (hint: | json_encode())`,
      }
    }
  }
  if (!Array.isArray(items))
    return { ok: false, error: `for_each must be a list, got ${describe(items)}` }
  if (items.length > MAX_LOOP_ITEMS)
    return {
      ok: false,
      error: `for_each has ${items.length} items; the limit is ${MAX_LOOP_ITEMS}`,
    }
  return { ok: true, items }
}

/** The name of instance `i` of loop step `name`. */
export function instanceName(name: string, i: number): string {
  return `${name}[${i}]`
}

/**
 * The instance steps of a loop step: its action, input and retry, no `when` (the loop step's was
 * evaluated), no dependencies but the previous instance in a sequential loop (which makes the
 * next one wait, and skips the rest after a failure unless `continue_on_failure`).
 */
export function loopInstances(
  loop: StepRun,
  items: ReadonlyArray<unknown>,
  p: { readonly newStepId: () => string; readonly now: Date },
): PlannedStep[] {
  const sequential = loop.spec.sequential === true
  const total = items.length
  return items.map((item, index): PlannedStep => {
    const first = index === 0 || !sequential
    return {
      id: p.newStepId(),
      name: instanceName(loop.name, index),
      position: loop.position,
      actionName: loop.actionName,
      actionType: loop.actionType,
      runner: loop.runner,
      status: first ? 'ready' : 'pending',
      spec: {
        ...loop.spec,
        forEach: null,
        sequential: false,
        when: null,
        each: { item, index, total },
      },
      dependsOn: first ? [] : [instanceName(loop.name, index - 1)],
      input: loop.spec.input,
      tags: loop.spec.action.tags,
      readyAt: first ? p.now : null,
      errorMessage: null,
      completedAt: null,
      loop: { source: loop.name, index, total },
    }
  })
}

export interface LoopOutcome {
  readonly event: StepEventType
  readonly output: ReadonlyArray<unknown> | null
  readonly reason: string | null
}

const TERMINAL: ReadonlySet<StepStatus> = new Set(['completed', 'failed', 'skipped', 'cancelled'])

/**
 * How a running loop step ends, once every instance is terminal (null before): `stopped` when
 * the job was cancelled and an instance with it; `fail` when an instance failed and the loop
 * step does not tolerate it; else `complete`. The output lists instance outputs by index, `null`
 * for instances that failed, were skipped or cancelled.
 */
export function loopOutcome(
  loop: StepRun,
  instances: ReadonlyArray<StepRun>,
  cancelRequested: boolean,
): LoopOutcome | null {
  if (instances.some((i) => !TERMINAL.has(i.status))) return null
  const ordered = [...instances].sort((a, b) => (a.loopIndex ?? 0) - (b.loopIndex ?? 0))
  const output = ordered.map((i) => (i.status === 'completed' ? (i.output ?? null) : null))
  if (cancelRequested && ordered.some((i) => i.status === 'cancelled'))
    return { event: 'stopped', output: null, reason: null }
  const failed = ordered.filter((i) => i.status === 'failed').map((i) => i.loopIndex ?? 0)
  if (failed.length > 0 && !loop.spec.continueOnFailure)
    return {
      event: 'fail',
      output: null,
      reason: `for_each loop failed: instance${failed.length === 1 ? '' : 's'} [${failed.join(', ')}] failed`,
    }
  return { event: 'complete', output, reason: null }
}
