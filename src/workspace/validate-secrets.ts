/**
 * Secrets (WORKSPACE-FORMAT.md §2): string values are templates rendered once at load with no
 * variables, only functions such as `get_env` and `now`. Nested mappings become nested values.
 */
import {
  checkTemplate,
  isTemplate,
  renderTemplate,
  type TemplateOptions,
} from '../templates/render.ts'
import { coerceError } from '../shared/errors.ts'
import type { SecretDraft, SecretNode } from './schema-types.ts'
import type { WorkspaceIssue } from './workspace.ts'
import { issueAt } from './yaml-source.ts'

/** What secret templates read from outside: `get_env`'s environment and `now`'s clock. */
type Outside = Pick<TemplateOptions, 'env' | 'clock'>

const VALS_FILTER = /\|\s*vals\b/

/** The rendered value, or undefined after reporting why there is none. */
function renderText(
  node: Extract<SecretNode, { kind: 'text' }>,
  name: string,
  outside: Outside,
  issues: WorkspaceIssue[],
): string | undefined {
  const { text, site } = node
  if (!isTemplate(text)) return text
  if (VALS_FILTER.test(text)) {
    const msg = `secret '${name}' uses the vals filter, which Weir does not support yet`
    issues.push(issueAt(site, 'unsupported', 'unsupported', msg))
    return undefined
  }
  const checked = checkTemplate(text)
  if (!checked.ok) {
    const msg = `template line ${checked.line}, column ${checked.column}: ${checked.message}`
    issues.push(issueAt(site, 'error', 'template-syntax', msg))
    return undefined
  }
  const [ref] = checked.refs
  if (ref !== undefined) {
    const msg = `template line ${ref.line}, column ${ref.column}: secret values cannot use variables ('${ref.root}'); only functions such as get_env`
    issues.push(issueAt(site, 'error', 'template-unknown-variable', msg))
    return undefined
  }
  try {
    return renderTemplate(text, {}, outside)
  } catch (e) {
    const msg = `secret '${name}' failed to render: ${coerceError(e).message}`
    issues.push(issueAt(site, 'error', 'secret', msg))
    return undefined
  }
}

function renderNode(
  node: SecretNode,
  name: string,
  outside: Outside,
  issues: WorkspaceIssue[],
): unknown {
  if (node.kind === 'text') return renderText(node, name, outside, issues)
  const out: Array<[string, unknown]> = []
  for (const [key, child] of node.entries) {
    const value = renderNode(child, `${name}.${key}`, outside, issues)
    if (value !== undefined) out.push([key, value])
  }
  // fromEntries defines own properties, so a key such as `__proto__` stays plain data.
  return Object.fromEntries(out)
}

/** Renders every secret; values that fail are left out and reported. */
export function validateSecrets(
  secrets: ReadonlyMap<string, SecretDraft>,
  outside: Outside,
): { readonly issues: WorkspaceIssue[]; readonly values: Record<string, unknown> } {
  const issues: WorkspaceIssue[] = []
  const values: Array<[string, unknown]> = []
  for (const [name, draft] of secrets) {
    const value = renderNode(draft.value, name, outside, issues)
    if (value !== undefined) values.push([name, value])
  }
  return { issues, values: Object.fromEntries(values) }
}
