/**
 * What a server can run (API.md §4): `weir workspaces`, `weir tasks` (all, one workspace's, or one
 * task's input fields).
 */
import { seg, type TaskDetailDto, type TaskSummaryDto, type WorkspaceDto } from '../api-client.ts'
import { CLIENT_HELP, connect, parseClientArgs, runClient, UsageError } from '../client-command.ts'
import type { Command } from '../index.ts'
import { formatTaskDetail, formatTaskList, formatWorkspaceList } from '../output-format.ts'

const TASKS_USAGE = 'weir tasks [<workspace> | <workspace>/<task>] [--json]'

export const tasksCommand: Command = {
  summary: `List the tasks of every workspace, or of one; with <workspace>/<task>, show that task's
input fields (what \`weir run -i\` takes). --json: the API's task list or task detail.

${CLIENT_HELP}`,
  usage: TASKS_USAGE,
  run: (ctx) =>
    runClient(ctx, { name: 'tasks', usage: TASKS_USAGE }, async (io) => {
      const { values, positionals } = parseClientArgs(ctx.argv)
      if (positionals.length > 1) throw new UsageError(['expected at most one workspace or task'])
      const client = connect(values, ctx.env)
      const ref = positionals[0]
      const slash = ref?.indexOf('/') ?? -1
      if (ref !== undefined && slash > 0) {
        const path = `/api/workspaces/${seg(ref.slice(0, slash))}/tasks/${seg(ref.slice(slash + 1))}`
        const task = (await client.get<TaskDetailDto>(path)).body
        if (io.json) io.document(task)
        else io.out(formatTaskDetail(task, { color: io.color }))
        return 0
      }
      const path = ref === undefined ? '/api/tasks' : `/api/workspaces/${seg(ref)}/tasks`
      const tasks = (await client.get<TaskSummaryDto[]>(path)).body
      if (io.json) io.document(tasks)
      else io.out(formatTaskList(tasks, { color: io.color }))
      return 0
    }),
}

const WORKSPACES_USAGE = 'weir workspaces [--json]'

export const workspacesCommand: Command = {
  summary: `List the server's workspaces: counts, revision, and whether they load.

${CLIENT_HELP}`,
  usage: WORKSPACES_USAGE,
  run: (ctx) =>
    runClient(ctx, { name: 'workspaces', usage: WORKSPACES_USAGE }, async (io) => {
      const { values, positionals } = parseClientArgs(ctx.argv)
      if (positionals.length > 0) throw new UsageError(['takes no arguments'])
      const client = connect(values, ctx.env)
      const list = (await client.get<WorkspaceDto[]>('/api/workspaces')).body
      if (io.json) io.document(list)
      else io.out(formatWorkspaceList(list, { color: io.color }))
      return 0
    }),
}
