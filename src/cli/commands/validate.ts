/** `weir validate [path...]`: load workspace folders and print every diagnostic; exit 1 on errors. */
import { parseArgs } from 'node:util'
import { resolve } from 'node:path'
import { loadWorkspace } from '../../workspace/load-workspace.ts'
import { formatIssue, type WorkspaceIssue } from '../../workspace/workspace.ts'
import { loadCommandConfig, tryParse } from '../config-args.ts'
import type { Command } from '../index.ts'

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

export const validateCommand: Command = {
  summary:
    'Validate workspace folders (every problem at once, as file:line:column path: message [code]).\n' +
    'Without a path, validates every workspace of the server configuration.',
  usage: 'weir validate [--json] [--config FILE] [WORKSPACE_DIR ...]',
  async run(ctx) {
    const args = tryParse(() =>
      parseArgs({ args: [...ctx.argv], options: OPTIONS, allowPositionals: true, strict: true }),
    )
    if (!args) return 1
    const targets = await resolveTargets(ctx, args.positionals, args.values.config)
    if (!targets) return 1
    let errors = 0
    const report: Record<
      string,
      { revision: string | null; issues: ReadonlyArray<WorkspaceIssue> }
    > = {}
    for (const { name, root } of targets) {
      const result = await loadWorkspace(name, root)
      const issues = result.ok ? result.workspace.issues : result.issues
      errors += issues.filter((i: WorkspaceIssue) => i.severity === 'error').length
      report[name] = { revision: result.ok ? result.workspace.revision : result.revision, issues }
      if (!args.values.json) printText(name, root, result.ok, issues)
    }
    if (args.values.json) console.log(JSON.stringify(report, null, 2))
    return errors > 0 ? 1 : 0
  },
}

async function resolveTargets(
  ctx: Parameters<Command['run']>[0],
  paths: string[],
  configPath?: string,
) {
  if (paths.length > 0) return paths.map((p) => ({ name: 'workspace', root: resolve(ctx.cwd, p) }))
  const loaded = loadCommandConfig(ctx, {}, configPath)
  if (!loaded) return null
  return Object.entries(loaded.config.workspaces)
    .filter(([, s]) => s.type === 'folder' && s.path)
    .map(([name, s]) => ({ name, root: s.path! }))
}

function printText(
  name: string,
  root: string,
  ok: boolean,
  issues: ReadonlyArray<WorkspaceIssue>,
): void {
  for (const issue of issues)
    console.log(`${issue.severity === 'error' ? 'error' : issue.severity}: ${formatIssue(issue)}`)
  const errors = issues.filter((i) => i.severity === 'error').length
  const warnings = issues.length - errors
  const verdict = ok ? 'valid' : `${errors} error${errors === 1 ? '' : 's'}`
  console.log(`${name} (${root}): ${verdict}, ${warnings} warning${warnings === 1 ? '' : 's'}`)
}
