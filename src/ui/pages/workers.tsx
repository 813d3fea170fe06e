/** Workers: status, tags, running steps; drain, undrain and revoke for admins. */
import { useState } from 'preact/hooks'
import { enc, get, request } from '../data/client.ts'
import { onServerEvent, onStreamOpen } from '../data/event-stream.ts'
import { session } from '../data/session.ts'
import type { WorkerDto } from '../data/types.ts'
import { formatAgo } from '../lib/format.ts'
import { useStore } from '../lib/store.ts'
import {
  Button,
  Card,
  Empty,
  ErrorNotice,
  Link,
  Loading,
  PageHeader,
  StatusBadge,
  useLoad,
  useNow,
} from '../components/ui.tsx'

function RecentSteps({ id }: { id: string }) {
  const detail = useLoad(
    () => get<WorkerDto>(`/api/workers/${enc(id)}`),
    [id],
    (t) => onServerEvent((e) => e.type.startsWith('step.') && t()),
  )
  if (detail.error) return <ErrorNotice error={detail.error} />
  if (!detail.data) return <Loading what="steps" />
  const recent = detail.data.recent_jobs ?? []
  if (recent.length === 0) return <Empty>No steps yet.</Empty>
  return (
    <ul class="list">
      {recent.slice(0, 15).map((r) => (
        <li key={`${r.job_id}/${r.step_name}`}>
          <StatusBadge status={r.step_status} />{' '}
          <Link href={`/jobs/${r.job_id}`}>{r.task_name}</Link>
          <span class="muted small"> step {r.step_name}</span>
        </li>
      ))}
    </ul>
  )
}

export function WorkersPage() {
  const now = useNow(5000)
  const s = useStore(session)
  const isAdmin = s.kind === 'open' || (s.kind === 'signed-in' && s.user.role === 'admin')
  const workers = useLoad(
    async () => (await request<WorkerDto[]>('GET', '/api/workers?limit=500')).data,
    [],
    (t) => {
      const a = onServerEvent(
        (e) => (e.type === 'worker.changed' || e.type.startsWith('step.')) && t(),
      )
      const b = onStreamOpen(t)
      return () => {
        a()
        b()
      }
    },
  )
  const [open, setOpen] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)

  const act = async (method: string, path: string, confirmText?: string) => {
    if (confirmText && !window.confirm(confirmText)) return
    setError(null)
    try {
      await request(method, path, method === 'POST' ? {} : undefined)
      workers.reload()
    } catch (e) {
      setError(e)
    }
  }

  return (
    <>
      <PageHeader title="Workers" />
      <ErrorNotice error={workers.error ?? error} />
      {workers.data === undefined ? (
        <Loading what="workers" />
      ) : workers.data.length === 0 ? (
        <Empty>No workers have registered.</Empty>
      ) : (
        <Card>
          <div class="table-wrap">
            <table class="table" data-testid="workers-table">
              <caption class="sr-only">Workers</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Status</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Tags</th>
                  <th scope="col">Running</th>
                  <th scope="col">Heartbeat</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {workers.data.map((w) => [
                  <tr key={w.worker_id} data-worker={w.name}>
                    <th scope="row">
                      <button
                        type="button"
                        class="link-button"
                        aria-expanded={open === w.worker_id}
                        onClick={() => setOpen(open === w.worker_id ? null : w.worker_id)}
                      >
                        {w.name}
                      </button>
                      {w.hostname && <span class="muted small"> {w.hostname}</span>}
                    </th>
                    <td>
                      <StatusBadge status={w.status} />
                      {w.drain_reason && <span class="muted small"> {w.drain_reason}</span>}
                    </td>
                    <td>{w.kind}</td>
                    <td>
                      {w.tags.length === 0 ? (
                        <span class="muted">none</span>
                      ) : (
                        w.tags.map((t) => (
                          <span key={t} class="pill">
                            {t}
                          </span>
                        ))
                      )}
                    </td>
                    <td>
                      {w.running_steps} / {w.max_concurrency}
                    </td>
                    <td>{formatAgo(w.last_heartbeat, now)}</td>
                    <td class="actions">
                      {isAdmin && w.kind === 'remote' && w.status !== 'revoked' && (
                        <>
                          {w.status === 'draining' ? (
                            <Button
                              class="btn-small"
                              onClick={() =>
                                void act('POST', `/api/workers/${w.worker_id}/undrain`)
                              }
                            >
                              Undrain<span class="sr-only"> {w.name}</span>
                            </Button>
                          ) : (
                            <Button
                              class="btn-small"
                              onClick={() => void act('POST', `/api/workers/${w.worker_id}/drain`)}
                            >
                              Drain<span class="sr-only"> {w.name}</span>
                            </Button>
                          )}
                          <Button
                            class="btn-small"
                            variant="danger"
                            onClick={() =>
                              void act(
                                'DELETE',
                                `/api/workers/${w.worker_id}`,
                                `Revoke worker ${w.name}? Its running steps fail at once.`,
                              )
                            }
                          >
                            Revoke<span class="sr-only"> {w.name}</span>
                          </Button>
                        </>
                      )}
                    </td>
                  </tr>,
                  open === w.worker_id && (
                    <tr key={`${w.worker_id}-steps`} class="detail-row">
                      <td colSpan={7}>
                        <RecentSteps id={w.worker_id} />
                      </td>
                    </tr>
                  ),
                ])}
              </tbody>
            </table>
          </div>
        </Card>
      )}
    </>
  )
}
