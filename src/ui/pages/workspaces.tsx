/** Workspaces: revision, counts, load errors and warnings with file:line, and a refresh button. */
import { useState } from 'preact/hooks'
import { enc, get, post } from '../data/client.ts'
import type { Diagnostic, WorkspaceDto } from '../data/types.ts'
import {
  Button,
  Card,
  Empty,
  ErrorNotice,
  Loading,
  PageHeader,
  useLoad,
} from '../components/ui.tsx'

function Diagnostics({
  list,
  kind,
}: {
  list: ReadonlyArray<Diagnostic>
  kind: 'error' | 'warning'
}) {
  if (list.length === 0) return null
  return (
    <ul
      class={`diagnostics diagnostics-${kind}`}
      aria-label={kind === 'error' ? 'Load errors' : 'Warnings'}
    >
      {list.map((d, i) => (
        <li key={i} data-severity={d.severity}>
          <span class="mono loc">
            {d.file}:{d.line}:{d.column}
          </span>{' '}
          <span class="mono path">{d.path}</span>: {d.message}{' '}
          <span class="muted small">[{d.code}]</span>
        </li>
      ))}
    </ul>
  )
}

function WorkspaceCard({
  ws,
  onChange,
}: {
  ws: WorkspaceDto
  onChange: (w: WorkspaceDto) => void
}) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const refresh = async () => {
    setBusy(true)
    setError(null)
    try {
      onChange(await post<WorkspaceDto>(`/api/workspaces/${enc(ws.name)}/refresh`))
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }
  const issues = ws.issues ?? []
  const errors = issues.filter((i) => i.severity === 'error')
  return (
    <Card
      title={ws.name}
      labelledBy={`ws-${ws.name}`}
      class={ws.error ? 'card-broken' : ''}
      actions={
        <Button
          onClick={() => void refresh()}
          disabled={busy}
          aria-label={`Refresh workspace ${ws.name}`}
        >
          {busy ? 'Refreshing…' : 'Refresh'}
        </Button>
      }
    >
      <div data-workspace={ws.name}>
        <dl class="facts">
          <div>
            <dt>Revision</dt>
            <dd class="mono">{ws.revision ?? 'never loaded'}</dd>
          </div>
          <div>
            <dt>Tasks</dt>
            <dd>{ws.tasks_count}</dd>
          </div>
          <div>
            <dt>Actions</dt>
            <dd>{ws.actions_count}</dd>
          </div>
          <div>
            <dt>Triggers</dt>
            <dd>{ws.triggers_count}</dd>
          </div>
        </dl>
        <ErrorNotice error={error} />
        {ws.error && (
          <div class="notice notice-error" role="alert">
            <p>
              <strong>
                {errors.length || issues.length} load error
                {(errors.length || issues.length) === 1 ? '' : 's'}
              </strong>
              {ws.revision
                ? ': the last good revision keeps serving.'
                : ': nothing is served until fixed.'}
            </p>
            {issues.length > 0 ? <Diagnostics list={issues} kind="error" /> : <pre>{ws.error}</pre>}
          </div>
        )}
        {(ws.warnings ?? []).length > 0 && (
          <details class="warnings">
            <summary>{ws.warnings!.length} warnings</summary>
            <Diagnostics list={ws.warnings!} kind="warning" />
          </details>
        )}
      </div>
    </Card>
  )
}

export function WorkspacesPage() {
  const list = useLoad(() => get<WorkspaceDto[]>('/api/workspaces'), [])
  return (
    <>
      <PageHeader title="Workspaces" />
      <ErrorNotice error={list.error} />
      {list.data === undefined ? (
        <Loading what="workspaces" />
      ) : list.data.length === 0 ? (
        <Empty>No workspaces are configured.</Empty>
      ) : (
        list.data.map((ws) => (
          <WorkspaceCard
            key={ws.name}
            ws={ws}
            onChange={(w) => list.setData((cur) => cur?.map((x) => (x.name === w.name ? w : x)))}
          />
        ))
      )}
    </>
  )
}
