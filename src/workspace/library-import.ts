/**
 * A library as workspaces import it (STROEM-REFERENCE.md §1.1): its actions and tasks, each
 * renamed `<library>.<name>`, with the names they use of each other rewritten the same way (step
 * and hook actions, a task action's `task`), and every action marked with the library's files so
 * its `source:` paths resolve in the library. Triggers, secrets and workspace-level hooks stay
 * behind. Pure.
 */
import type { LibraryImport } from './action-refs.ts'
import type { ActionDraft, HookDraft, HooksDraft, StepDraft, TaskDraft } from './schema-types.ts'
import type { ValidatedDefinitions } from './validate-workspace.ts'
import type { ActionDef, ActionOrigin, HookDef, StepDef, TaskDef, TaskHooks } from './workspace.ts'

const INLINE = '_inline:'

class Renamer {
  readonly #lib: string
  readonly #actions: ReadonlySet<string>
  readonly #tasks: ReadonlySet<string>

  constructor(lib: string, actions: Iterable<string>, tasks: Iterable<string>) {
    this.#lib = lib
    this.#actions = new Set(actions)
    this.#tasks = new Set(tasks)
  }

  /** `notify` -> `common.notify`; `_inline:deploy:ship` -> `_inline:common.deploy:ship`. */
  action(name: string): string {
    if (!this.#actions.has(name)) return name
    return name.startsWith(INLINE)
      ? `${INLINE}${this.#lib}.${name.slice(INLINE.length)}`
      : `${this.#lib}.${name}`
  }

  task(name: string | null): string | null {
    return name !== null && this.#tasks.has(name) ? `${this.#lib}.${name}` : name
  }
}

function renameHooks(hooks: TaskHooks, r: Renamer): TaskHooks {
  const one = (h: HookDef): HookDef => ({ ...h, action: r.action(h.action) })
  return {
    onSuccess: hooks.onSuccess.map(one),
    onError: hooks.onError.map(one),
    onCancel: hooks.onCancel.map(one),
    onSuspended: hooks.onSuspended.map(one),
  }
}

function renameHookDrafts(hooks: HooksDraft, r: Renamer): HooksDraft {
  const one = (h: HookDraft): HookDraft => ({
    ...h,
    def: { ...h.def, action: r.action(h.def.action) },
  })
  return {
    onSuccess: hooks.onSuccess.map(one),
    onError: hooks.onError.map(one),
    onCancel: hooks.onCancel.map(one),
    onSuspended: hooks.onSuspended.map(one),
  }
}

function renameAction(a: ActionDef, r: Renamer, origin: ActionOrigin): ActionDef {
  return { ...a, name: r.action(a.name), task: r.task(a.task), origin }
}

function renameStep(s: StepDef, r: Renamer): StepDef {
  return { ...s, action: r.action(s.action) }
}

/** The library's definitions under their imported names. */
export function importLibrary(
  lib: { readonly name: string; readonly revision: string; readonly root: string },
  defs: ValidatedDefinitions,
): LibraryImport {
  const r = new Renamer(lib.name, defs.actions.keys(), defs.tasks.keys())
  const origin: ActionOrigin = {
    workspace: null,
    files: { kind: 'library', name: lib.name, revision: lib.revision, root: lib.root },
  }
  const actions = new Map<string, ActionDef>()
  for (const a of defs.actions.values()) {
    const renamed = renameAction(a, r, origin)
    actions.set(renamed.name, renamed)
  }
  const tasks = new Map<string, TaskDef>()
  for (const t of defs.tasks.values()) {
    const name = r.task(t.name)!
    tasks.set(name, {
      ...t,
      name,
      flow: t.flow.map((s) => renameStep(s, r)),
      hooks: renameHooks(t.hooks, r),
    })
  }
  const actionDrafts = new Map<string, ActionDraft>()
  for (const d of defs.drafts.actions.values()) {
    const def = actions.get(r.action(d.def.name))
    if (def) actionDrafts.set(def.name, { ...d, def })
  }
  const taskDrafts = new Map<string, TaskDraft>()
  for (const d of defs.drafts.tasks.values()) {
    const name = r.task(d.def.name)!
    const steps = d.steps.map((s): StepDraft => ({
      ...s,
      def: renameStep(s.def, r),
      inline: s.inline ? { ...s.inline, def: actions.get(r.action(s.inline.def.name))! } : null,
    }))
    taskDrafts.set(name, {
      ...d,
      def: { ...d.def, name },
      steps,
      hooks: renameHookDrafts(d.hooks, r),
    })
  }
  return { ok: true, ...lib, actions, tasks, actionDrafts, taskDrafts }
}
