/**
 * Jobs: filters (workspace, task, status, source) kept in the URL, keyset pages (X-Next-Cursor),
 * and live updates from /api/events: new jobs appear at the top, statuses change in place.
 */
import { useEffect, useState } from 'preact/hooks'
import { get, request, withQuery } from '../data/client.ts'
import { onServerEvent, onStreamOpen } from '../data/event-stream.ts'
import {
  JOB_STATUSES,
  SOURCE_TYPES,
  type JobStatus,
  type JobSummary,
  type ServerEvent,
  type TaskSummary,
  type WorkspaceDto,
} from '../data/types.ts'
import { navigate, useLocation } from '../lib/router.ts'
import { JobTable } from '../components/job-table.tsx'
import { Button, Card, ErrorNotice, Loading, PageHeader, useLoad } from '../components/ui.tsx'

interface Filters {
  workspace: string
  task: string
  status: string[]
  source: string
}

const PAGE = 50

function filtersOf(q: URLSearchParams): Filters {
  return {
    workspace: q.get('workspace') ?? '',
    task: q.get('task') ?? '',
    status: (q.get('status') ?? '').split(',').filter((s) => s !== ''),
    source: q.get('source') ?? '',
  }
}

function queryOf(f: Filters): string {
  return withQuery('/jobs', {
    workspace: f.workspace,
    task: f.workspace ? f.task : '',
    status: f.status.join(','),
    source: f.source,
  })
}

function matches(f: Filters, d: ServerEvent['data']): boolean {
  return (
    (f.workspace === '' || d.workspace === f.workspace) &&
    (f.task === '' || d.task_name === f.task) &&
    (f.source === '' || d.source_type === f.source) &&
    (f.status.length === 0 || f.status.includes(String(d.status)))
  )
}

/** A job.* event applied to the rows shown. */
function applyEvent(jobs: JobSummary[], f: Filters, e: ServerEvent): JobSummary[] {
  const d = e.data
  const id = d.job_id
  if (!id) return jobs
  if (e.type === 'job.created') {
    if (!matches(f, d) || jobs.some((j) => j.job_id === id)) return jobs
    const ts = typeof d.ts === 'string' ? d.ts : new Date().toISOString()
    const job: JobSummary = {
      job_id: id,
      workspace: String(d.workspace),
      task_name: String(d.task_name),
      status: d.status as JobStatus,
      source_type: String(d.source_type),
      source_id: (d.source_id as string | null) ?? null,
      created_at: ts,
      started_at: null,
      completed_at: null,
      retry_of_job_id: null,
      parent_job_id: null,
      parent_step_name: null,
      source_job_id: null,
    }
    return [job, ...jobs]
  }
  return jobs.map((j) => {
    if (j.job_id !== id || typeof d.status !== 'string') return j
    const ts = typeof d.ts === 'string' ? d.ts : null
    return {
      ...j,
      status: d.status as JobStatus,
      started_at:
        j.started_at ?? (e.type === 'job.started' ? ts : ((d.started_at as string | null) ?? null)),
      completed_at:
        e.type === 'job.finished' ? ((d.completed_at as string | null) ?? ts) : j.completed_at,
    }
  })
}

export function JobsPage() {
  const loc = useLocation()
  const filters = filtersOf(loc.query)
  const key = queryOf(filters)
  const [jobs, setJobs] = useState<JobSummary[] | null>(null)
  const [cursor, setCursor] = useState<string | null>(null)
  const [total, setTotal] = useState<number | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [loadingMore, setLoadingMore] = useState(false)

  const workspaces = useLoad(() => get<WorkspaceDto[]>('/api/workspaces'), [])
  const tasks = useLoad(() => get<TaskSummary[]>('/api/tasks'), [])

  const apiQuery = (extra: Record<string, string | number>) => ({
    workspace: filters.workspace,
    task_name: filters.workspace ? filters.task : '',
    status: filters.status.join(','),
    source_type: filters.source,
    limit: PAGE,
    ...extra,
  })

  useEffect(() => {
    let live = true
    const loadFirst = async () => {
      try {
        const res = await request<JobSummary[]>('GET', withQuery('/api/jobs', apiQuery({})))
        if (!live) return
        setJobs(res.data)
        setCursor(res.headers.get('X-Next-Cursor'))
        const t = res.headers.get('X-Total-Count')
        setTotal(t === null ? null : Number(t))
        setError(null)
      } catch (e) {
        if (live) setError(e)
      }
    }
    setJobs(null)
    void loadFirst()
    const stopEvents = onServerEvent((e) => {
      if (!e.type.startsWith('job.')) return
      setJobs((current) => (current ? applyEvent(current, filters, e) : current))
      if (e.type === 'job.created' && matches(filters, e.data))
        setTotal((t) => (t === null ? t : t + 1))
    })
    const stopOpen = onStreamOpen(() => void loadFirst())
    return () => {
      live = false
      stopEvents()
      stopOpen()
    }
  }, [key])

  const loadMore = async () => {
    if (!cursor) return
    setLoadingMore(true)
    try {
      const res = await request<JobSummary[]>(
        'GET',
        withQuery('/api/jobs', apiQuery({ cursor, count: 'false' })),
      )
      setJobs((current) => {
        const seen = new Set((current ?? []).map((j) => j.job_id))
        return [...(current ?? []), ...res.data.filter((j) => !seen.has(j.job_id))]
      })
      setCursor(res.headers.get('X-Next-Cursor'))
    } catch (e) {
      setError(e)
    } finally {
      setLoadingMore(false)
    }
  }

  const set = (patch: Partial<Filters>) =>
    navigate(queryOf({ ...filters, ...patch }), { replace: true })
  const taskNames = (tasks.data ?? [])
    .filter((t) => t.workspace === filters.workspace)
    .map((t) => t.name)

  return (
    <>
      <PageHeader title="Jobs">
        {total !== null && (
          <span class="muted" data-testid="job-total">
            {total} {total === 1 ? 'job' : 'jobs'}
          </span>
        )}
      </PageHeader>
      <form class="filters" aria-label="Job filters" onSubmit={(ev) => ev.preventDefault()}>
        <label>
          Workspace
          <select
            value={filters.workspace}
            onChange={(ev) => set({ workspace: ev.currentTarget.value, task: '' })}
          >
            <option value="">All</option>
            {(workspaces.data ?? []).map((w) => (
              <option key={w.name} value={w.name}>
                {w.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Task
          <select
            value={filters.task}
            disabled={filters.workspace === ''}
            onChange={(ev) => set({ task: ev.currentTarget.value })}
          >
            <option value="">All</option>
            {taskNames.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <fieldset class="status-filter">
          <legend>Status</legend>
          {JOB_STATUSES.map((s) => (
            <label key={s} class="check">
              <input
                type="checkbox"
                checked={filters.status.includes(s)}
                onChange={(ev) =>
                  set({
                    status: ev.currentTarget.checked
                      ? [...filters.status, s]
                      : filters.status.filter((x) => x !== s),
                  })
                }
              />
              {s}
            </label>
          ))}
        </fieldset>
        <label>
          Source
          <select value={filters.source} onChange={(ev) => set({ source: ev.currentTarget.value })}>
            <option value="">All</option>
            {SOURCE_TYPES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </form>
      <Card>
        <ErrorNotice error={error} />
        {jobs === null ? <Loading what="jobs" /> : <JobTable jobs={jobs} caption="Jobs" />}
        {cursor && jobs && (
          <div class="more">
            <Button onClick={() => void loadMore()} disabled={loadingMore}>
              {loadingMore ? 'Loading…' : 'Load more'}
            </Button>
          </div>
        )}
      </Card>
    </>
  )
}
