/**
 * Action checks that need more than one file: `source:` paths against the workspace's files
 * (§3.2), and input types that are neither built in nor declared connection types (§4.1).
 */
import { posix } from 'node:path'
import { isTemplate } from '../templates/render.ts'
import { didYouMean } from './did-you-mean.ts'
import type { ActionDraft, CustomTypeRef } from './schema-types.ts'
import { INPUT_TYPES } from './workspace.ts'
import type { WorkspaceIssue } from './workspace.ts'
import { issueAt } from './yaml-source.ts'

/** Why a literal `source:` path cannot be run, or null when the file is there. */
export function sourceProblem(source: string, files: ReadonlySet<string>): string | null {
  if (posix.isAbsolute(source) || /^[A-Za-z]:[\\/]/.test(source) || source.startsWith('\\')) {
    return `source path '${source}' must be relative to the workspace root`
  }
  const normal = posix.normalize(source.replaceAll('\\', '/'))
  if (normal === '..' || normal.startsWith('../')) {
    return `source path '${source}' escapes the workspace root`
  }
  if (!files.has(normal)) return `source file '${source}' does not exist in the workspace`
  return null
}

/** `source-missing` for every untemplated source (a templated path is only known at run time). */
export function checkSources(
  actions: Iterable<ActionDraft>,
  files: ReadonlySet<string>,
): WorkspaceIssue[] {
  const issues: WorkspaceIssue[] = []
  for (const action of actions) {
    const { source } = action.def
    if (source === null || action.sourceSite === null || isTemplate(source)) continue
    const problem = sourceProblem(source, files)
    if (problem !== null)
      issues.push(issueAt(action.sourceSite, 'error', 'source-missing', problem))
  }
  return issues
}

export interface CustomTypeFindings {
  readonly issues: WorkspaceIssue[]
  readonly unsupportedTasks: Map<string, string>
  readonly unsupportedActions: Map<string, string>
}

/**
 * A declared connection type makes its owner unavailable ([Later]); any other unknown type is an
 * `input-type` error.
 */
export function resolveCustomTypes(
  refs: ReadonlyArray<CustomTypeRef>,
  connectionTypes: ReadonlySet<string>,
): CustomTypeFindings {
  const out: CustomTypeFindings = {
    issues: [],
    unsupportedTasks: new Map(),
    unsupportedActions: new Map(),
  }
  for (const ref of refs) {
    if (!connectionTypes.has(ref.type)) {
      const hint = didYouMean(ref.type, [...INPUT_TYPES, 'bool'])
      const msg = `input '${ref.field}' has unknown type '${ref.type}'${hint}`
      out.issues.push(issueAt(ref.site, 'error', 'input-type', msg))
      continue
    }
    const reason = `input '${ref.field}' has connection type '${ref.type}', which Weir does not support yet`
    out.issues.push(issueAt(ref.site, 'unsupported', 'unsupported', reason))
    const target = ref.owner.kind === 'task' ? out.unsupportedTasks : out.unsupportedActions
    if (!target.has(ref.owner.name)) target.set(ref.owner.name, reason)
  }
  return out
}
