/** Task definitions (WORKSPACE-FORMAT.md §5.1). */
import { readInputSchema } from './schema-input.ts'
import {
  checkKeys,
  entries,
  findEntry,
  isNull,
  readChoice,
  readString,
  report,
  site,
} from './schema-reader.ts'
import type { Cursor, Entry } from './schema-reader.ts'
import { readDuration, readRetry } from './schema-retry.ts'
import { readHooks, readStep } from './schema-step.ts'
import type { HooksDraft, StepDraft, TaskDraft } from './schema-types.ts'
import { templateStepName, type RetryPolicy } from './workspace.ts'
import { refOf } from './yaml-source.ts'

const TASK_KEYS = [
  'name',
  'description',
  'mode',
  'folder',
  'input',
  'flow',
  'timeout',
  'retry',
  'on_success',
  'on_error',
  'on_cancel',
  'on_suspended',
] as const
const MODES = ['distributed', 'local'] as const

function checkTaskName(at: Cursor, name: string): void {
  if (name.trim() === '') report(at, 'error', 'task-name', 'task name must not be empty')
  else if (name.includes('/')) {
    report(at, 'error', 'task-name', `task name '${name}' must not contain '/'`)
  }
}

function readFlow(task: Entry, list: ReadonlyArray<Entry>): StepDraft[] {
  const flow = findEntry(list, 'flow')
  if (!flow || isNull(flow.value)) {
    report(task.keyAt, 'error', 'flow', `task '${task.key}' has no flow`)
    return []
  }
  const stepEntries = entries(flow.value, 'flow must be a mapping of step names to steps')
  if (stepEntries === undefined) return []
  if (stepEntries.length === 0) {
    report(flow.value, 'warning', 'flow', `task '${task.key}' has an empty flow`)
  }
  const steps: StepDraft[] = []
  const byTemplateName = new Map<string, string>()
  for (const e of stepEntries) {
    const normalised = templateStepName(e.key)
    const other = byTemplateName.get(normalised)
    if (other !== undefined) {
      const msg = `steps '${other}' and '${e.key}' have the same template name '${normalised}'`
      report(e.keyAt, 'error', 'step-name', msg)
    } else byTemplateName.set(normalised, e.key)
    const step = readStep(e, task.key)
    if (step) steps.push(step)
  }
  return steps
}

/** Hook lists of a task or of the workspace (§5.6). */
export function readHookLists(list: ReadonlyArray<Entry>): HooksDraft {
  const read = (key: string): ReturnType<typeof readHooks> => {
    const e = findEntry(list, key)
    return e ? readHooks(e.value, key) : []
  }
  return {
    onSuccess: read('on_success'),
    onError: read('on_error'),
    onCancel: read('on_cancel'),
    onSuspended: read('on_suspended'),
  }
}

/** Whole-task retry ([Weir+]: Strøm parses it but never applies it; Weir re-runs failed jobs). */
function readTaskRetry(list: ReadonlyArray<Entry>): RetryPolicy | null {
  const retry = findEntry(list, 'retry')
  if (!retry || isNull(retry.value)) return null
  return readRetry(retry.value)
}

/** One entry of `tasks:`; `folder` is the default taken from the file's sub-directory. */
export function readTask(e: Entry, folder: string | null): TaskDraft | undefined {
  checkTaskName(e.keyAt, e.key)
  const list = entries(e.value, `task '${e.key}' must be a mapping`)
  if (list === undefined) return undefined
  checkKeys(list, TASK_KEYS, 'task')
  const get = (key: string): Cursor => findEntry(list, key)?.value ?? { ...e.value, node: null }
  const inputEntry = findEntry(list, 'input')
  const declaresInput = inputEntry !== undefined && !isNull(inputEntry.value)
  const input = readInputSchema(get('input'), { kind: 'task', name: e.key })
  const mode = findEntry(list, 'mode')
  const retry = readTaskRetry(list)
  const steps = readFlow(e, list)
  const at = site(e.keyAt)
  return {
    def: {
      name: e.key,
      displayName: readString(get('name'), 'name') ?? null,
      description: readString(get('description'), 'description') ?? null,
      mode: (mode && readChoice(mode.value, 'mode', MODES, 'flow')) || 'distributed',
      folder: readString(get('folder'), 'folder') ?? folder,
      input: input.schema,
      declaresInput,
      declaredInput: declaresInput ? input.declared : {},
      timeoutSecs: readDuration(get('timeout'), 'task', 'timeout') ?? null,
      retry,
      at: refOf(at),
    },
    site: at,
    steps,
    hooks: readHookLists(list),
    unsupported: steps.find((s) => s.unsupported !== null)?.unsupported ?? null,
  }
}
