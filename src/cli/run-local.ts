/**
 * `weir run --local`: a whole Weir for one run, for people writing workflows. The real app
 * (src/app.ts) on an embedded database in a temporary directory, with the folder as its only
 * workspace, the embedded worker on, the scheduler and the file watcher off, listening on a free
 * port of 127.0.0.1 so the run talks to it as to any server; everything is removed afterwards.
 *
 * The user's WEIR__* settings and DATABASE_URL are not read: a local run never touches a real
 * database. Steps start straight from this process (launcher `direct`), each in its own process
 * group, so a Ctrl-C on the terminal reaches the CLI and not the steps.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { createApp } from '../app.ts'
import { WORKSPACE_NAME_RE } from '../config/config-schema.ts'
import { loadConfig } from '../config/load-config.ts'
import { silentLogger } from '../shared/logger.ts'
import { didYouMean } from '../workspace/did-you-mean.ts'
import { loadWorkspace } from '../workspace/load-workspace.ts'
import { formatIssue } from '../workspace/workspace.ts'
import { createApiClient, type ApiClient } from './api-client.ts'
import { UsageError, type Output } from './client-command.ts'
import type { CommandContext } from './index.ts'
import { paint } from './output-format.ts'

/**
 * Runs `body` against a local server for the workspace folder. A workspace that does not load,
 * or lacks the task, is reported before any database starts.
 */
export async function withLocalServer(
  opts: {
    readonly folder: string
    readonly task: string
    readonly ctx: CommandContext
    readonly io: Output
  },
  body: (client: ApiClient, workspace: string) => Promise<number>,
): Promise<number> {
  const { ctx, io } = opts
  const folder = resolve(ctx.cwd, opts.folder)
  if (!isDirectory(folder)) throw new UsageError([`--local: '${opts.folder}' is not a folder`])
  const base = basename(folder)
  const workspace = WORKSPACE_NAME_RE.test(base) ? base : 'local'
  const loaded = await loadWorkspace(workspace, folder)
  if (!loaded.ok) {
    io.err(`weir run --local: the workspace in ${folder} does not load:`)
    for (const issue of loaded.issues) io.err(`${issue.severity}: ${formatIssue(issue)}`)
    return 1
  }
  const tasks = [...loaded.workspace.tasks.keys()]
  if (!tasks.includes(opts.task)) {
    const hint = didYouMean(opts.task, tasks) || ` (its tasks: ${tasks.join(', ') || 'none'})`
    throw new Error(`task '${opts.task}' not found in ${folder}${hint}`)
  }
  const tmp = mkdtempSync(join(tmpdir(), 'weir-local-'))
  try {
    const { config } = loadConfig({
      env: {},
      cwd: tmp,
      flags: {
        listen: '127.0.0.1:0',
        'db.data_dir': join(tmp, 'pgdata'),
        'log_storage.local_dir': join(tmp, 'logs'),
        'scheduler.enabled': false,
        workspace_watch: false,
        'embedded_worker.launcher': 'direct',
        'shutdown.grace_ms': 2000,
        workspaces: { [workspace]: { type: 'folder', path: folder } },
      },
    })
    const app = await createApp(config, {
      logger: silentLogger(),
      env: ctx.env,
      defaultMetrics: false,
    })
    try {
      const address = await app.listen()
      await app.ready
      await app.start()
      const client = createApiClient({
        server: `http://127.0.0.1:${address.port}`,
        token: undefined,
      })
      if (io.progress) {
        const note = `local server: ${client.settings.server} (for weir approve or cancel --server …)`
        io.err(paint('2', note, io.errColor))
      }
      return await body(client, workspace)
    } finally {
      await app.stop()
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}
