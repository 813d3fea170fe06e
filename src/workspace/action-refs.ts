/**
 * What a dotted action name (`x.name`) means in a workspace (STROEM-REFERENCE.md §1.1): an
 * action of library `x`, imported under that name, or the action `name` of workspace `x`,
 * resolved when the workspace is linked with the others. Anything else is a mistake, reported
 * with the names it was probably meant to be. Pure.
 */
import { didYouMean } from './did-you-mean.ts'
import type { ActionDraft, TaskDraft } from './schema-types.ts'
import type { ActionDef, TaskDef } from './workspace.ts'

/** A library's definitions as a workspace imports them: every name prefixed `<library>.`. */
export type LibraryImport =
  | {
      readonly ok: true
      readonly name: string
      readonly revision: string
      readonly root: string
      readonly actions: ReadonlyMap<string, ActionDef>
      readonly tasks: ReadonlyMap<string, TaskDef>
      /** The same, with their positions in the library's files (for the workspace's checks). */
      readonly actionDrafts: ReadonlyMap<string, ActionDraft>
      readonly taskDrafts: ReadonlyMap<string, TaskDraft>
    }
  | { readonly ok: false; readonly name: string; readonly error: string }

/** The names a workspace's dotted references can reach. */
export interface ReferenceScope {
  /** This workspace's own name: `<self>.x` is its own action `x`. */
  readonly self: string
  readonly libraries: ReadonlyMap<string, LibraryImport>
  /** Every configured workspace (this one included). */
  readonly workspaces: ReadonlySet<string>
}

export type DottedVerdict =
  /** Another workspace's action: checked when the workspace is linked. */
  | { readonly kind: 'workspace'; readonly workspace: string; readonly action: string }
  | { readonly kind: 'problem'; readonly code: string; readonly message: string }

/** `common.notify` -> ['common', 'notify']; null for a name without a dot or with an empty part. */
export function splitQualified(name: string): [prefix: string, rest: string] | null {
  const dot = name.indexOf('.')
  if (dot <= 0 || dot === name.length - 1) return null
  return [name.slice(0, dot), name.slice(dot + 1)]
}

function localNames(actions: Iterable<string>): string[] {
  return [...actions].filter((n) => !n.startsWith('_inline:'))
}

/**
 * The meaning of an action name that is not a key of `actions` (this workspace's own plus its
 * libraries'): another workspace's action, or the problem to report. `by` is who names it.
 */
export function classifyActionName(
  name: string,
  actions: ReadonlyMap<string, unknown>,
  scope: ReferenceScope,
  by: 'step' | 'hook',
): DottedVerdict {
  const parts = splitQualified(name)
  const hint = didYouMean(name, localNames(actions.keys()))
  if (!parts)
    return { kind: 'problem', code: 'unknown-action', message: `unknown action '${name}'${hint}` }
  const [prefix, rest] = parts
  const library = scope.libraries.get(prefix)
  if (library && !library.ok) {
    const message = `action '${name}' cannot be checked: library '${prefix}' did not load (${library.error})`
    return { kind: 'problem', code: 'library', message }
  }
  if (library?.ok) {
    const own = [...library.actions.keys()].map((n) => n.slice(prefix.length + 1))
    const message = `library '${prefix}' has no action '${rest}'${didYouMean(rest, localNames(own))}`
    return { kind: 'problem', code: 'unknown-action', message }
  }
  if (scope.workspaces.has(prefix)) {
    if (by === 'hook' && prefix !== scope.self) {
      const message = `hooks cannot run another workspace's action ('${name}'); use an action of this workspace or of a library`
      return { kind: 'problem', code: 'cross-workspace', message }
    }
    return { kind: 'workspace', workspace: prefix, action: rest }
  }
  if (hint !== '')
    return { kind: 'problem', code: 'unknown-action', message: `unknown action '${name}'${hint}` }
  const owners = [...scope.libraries.keys(), ...scope.workspaces]
  const message = `unknown action '${name}': no library or workspace is named '${prefix}'${didYouMean(prefix, owners)}`
  return { kind: 'problem', code: 'unknown-action', message }
}
