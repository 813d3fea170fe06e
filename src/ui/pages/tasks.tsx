/** Every task of every workspace, grouped by workspace and folder, with a search box. */
import { useState } from 'preact/hooks'
import { get } from '../data/client.ts'
import type { TaskSummary } from '../data/types.ts'
import { Card, Empty, ErrorNotice, Link, Loading, PageHeader, useLoad } from '../components/ui.tsx'

function groups(tasks: ReadonlyArray<TaskSummary>): Map<string, Map<string, TaskSummary[]>> {
  const out = new Map<string, Map<string, TaskSummary[]>>()
  for (const t of tasks) {
    const ws = out.get(t.workspace) ?? new Map<string, TaskSummary[]>()
    const folder = t.folder ?? ''
    ws.set(folder, [...(ws.get(folder) ?? []), t])
    out.set(t.workspace, ws)
  }
  return out
}

export function TasksPage() {
  const tasks = useLoad(() => get<TaskSummary[]>('/api/tasks'), [])
  const [search, setSearch] = useState('')
  const q = search.trim().toLowerCase()
  const shown = (tasks.data ?? []).filter(
    (t) =>
      q === '' ||
      t.name.toLowerCase().includes(q) ||
      (t.display_name ?? '').toLowerCase().includes(q) ||
      (t.folder ?? '').toLowerCase().includes(q),
  )
  return (
    <>
      <PageHeader title="Tasks">
        <label class="search">
          <span class="sr-only">Search tasks</span>
          <input
            type="search"
            placeholder="Search tasks"
            value={search}
            onInput={(ev) => setSearch(ev.currentTarget.value)}
          />
        </label>
      </PageHeader>
      <ErrorNotice error={tasks.error} />
      {tasks.data === undefined && <Loading what="tasks" />}
      {tasks.data !== undefined && shown.length === 0 && <Empty>No tasks match.</Empty>}
      {[...groups(shown)].map(([ws, folders]) => (
        <Card key={ws} title={`Workspace ${ws}`} labelledBy={`ws-${ws}`}>
          {[...folders]
            .sort(([a], [b]) => (a === '' ? 1 : b === '' ? -1 : a.localeCompare(b)))
            .map(([folder, list]) => (
              <div key={folder} class="folder" data-folder={folder}>
                <h3 class="folder-name">{folder === '' ? 'No folder' : `📁 ${folder}`}</h3>
                <ul class="task-list">
                  {list.map((t) => (
                    <li key={t.name}>
                      <Link href={`/tasks/${encodeURIComponent(ws)}/${encodeURIComponent(t.name)}`}>
                        {t.display_name ?? t.name}
                      </Link>
                      {t.display_name && <span class="muted small mono"> {t.name}</span>}
                      {t.has_triggers && <span class="pill">scheduled</span>}
                      {t.description && <p class="muted small">{t.description}</p>}
                    </li>
                  ))}
                </ul>
              </div>
            ))}
        </Card>
      ))}
    </>
  )
}
