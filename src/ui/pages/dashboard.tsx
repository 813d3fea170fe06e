/** The dashboard: jobs per status, recent jobs, failing tasks and the next scheduled fires. */
import { get } from '../data/client.ts'
import { onServerEvent, onStreamOpen } from '../data/event-stream.ts'
import { JOB_STATUSES, type JobSummary, type TriggerDto, type WorkspaceDto } from '../data/types.ts'
import { formatAgo, formatTime } from '../lib/format.ts'
import { JobTable } from '../components/job-table.tsx'
import {
  Card,
  Empty,
  ErrorNotice,
  Link,
  Loading,
  PageHeader,
  useLoad,
  useNow,
} from '../components/ui.tsx'

/** Reload on job events and on each stream (re)connect. */
const onJobEvents = (trigger: () => void) => {
  const a = onServerEvent((e) => e.type.startsWith('job.') && trigger())
  const b = onStreamOpen(trigger)
  return () => {
    a()
    b()
  }
}

interface Fire {
  workspace: string
  trigger: string
  task: string
  at: string
}

async function nextFires(): Promise<Fire[]> {
  const workspaces = await get<WorkspaceDto[]>('/api/workspaces')
  const lists = await Promise.all(
    workspaces
      .filter((w) => w.revision !== null)
      .map(async (w) => {
        const triggers = await get<TriggerDto[]>(
          `/api/workspaces/${encodeURIComponent(w.name)}/triggers`,
        )
        return triggers.flatMap((t) =>
          t.next_runs.map((at) => ({ workspace: w.name, trigger: t.name, task: t.task, at })),
        )
      }),
  )
  return lists
    .flat()
    .sort((a, b) => a.at.localeCompare(b.at))
    .slice(0, 8)
}

interface Failing {
  workspace: string
  task: string
  count: number
  last: JobSummary
}

function failingTasks(jobs: ReadonlyArray<JobSummary>): Failing[] {
  const by = new Map<string, Failing>()
  for (const j of jobs) {
    const key = `${j.workspace}/${j.task_name}`
    const f = by.get(key)
    if (f) f.count++
    else by.set(key, { workspace: j.workspace, task: j.task_name, count: 1, last: j })
  }
  return [...by.values()].sort((a, b) => b.count - a.count).slice(0, 8)
}

export function DashboardPage() {
  const now = useNow(5000)
  const stats = useLoad(() => get<Record<string, number>>('/api/stats'), [], onJobEvents)
  const recent = useLoad(
    () => get<JobSummary[]>('/api/jobs', { limit: 10, count: false }),
    [],
    onJobEvents,
  )
  const failed = useLoad(
    () => get<JobSummary[]>('/api/jobs', { status: 'failed', limit: 100, count: false }),
    [],
    onJobEvents,
  )
  const fires = useLoad(nextFires, [], (t) =>
    onServerEvent((e) => e.type === 'trigger.fired' && t()),
  )
  return (
    <>
      <PageHeader title="Dashboard" />
      <section aria-labelledby="stats-title" class="stats">
        <h2 id="stats-title" class="sr-only">
          Jobs per status
        </h2>
        <ErrorNotice error={stats.error} />
        {JOB_STATUSES.map((s) => (
          <Link
            key={s}
            href={`/jobs?status=${s}`}
            class={`stat status-${s}`}
            data-testid={`stat-${s}`}
          >
            <span class="stat-value">{stats.data ? (stats.data[s] ?? 0) : '…'}</span>
            <span class="stat-label">{s}</span>
          </Link>
        ))}
      </section>
      <div class="grid-2">
        <Card
          title="Recent jobs"
          labelledBy="recent-title"
          actions={<Link href="/jobs">All jobs</Link>}
        >
          <ErrorNotice error={recent.error} />
          {recent.data ? (
            <JobTable jobs={recent.data} caption="Recent jobs" />
          ) : (
            <Loading what="jobs" />
          )}
        </Card>
        <div class="stack">
          <Card title="Failing tasks" labelledBy="failing-title">
            <ErrorNotice error={failed.error} />
            {failed.data === undefined ? (
              <Loading what="failures" />
            ) : failed.data.length === 0 ? (
              <Empty>No failed jobs.</Empty>
            ) : (
              <ul class="list">
                {failingTasks(failed.data).map((f) => (
                  <li key={`${f.workspace}/${f.task}`}>
                    <Link
                      href={`/jobs?workspace=${encodeURIComponent(f.workspace)}&task=${encodeURIComponent(f.task)}&status=failed`}
                    >
                      {f.task}
                    </Link>
                    <span class="muted small"> {f.workspace}</span>
                    <span class="pill">{f.count} failed</span>
                    <span class="muted small"> last {formatAgo(f.last.created_at, now)}</span>
                  </li>
                ))}
              </ul>
            )}
          </Card>
          <Card title="Next scheduled fires" labelledBy="fires-title">
            <ErrorNotice error={fires.error} />
            {fires.data === undefined ? (
              <Loading what="triggers" />
            ) : fires.data.length === 0 ? (
              <Empty>No enabled schedules.</Empty>
            ) : (
              <ul class="list">
                {fires.data.map((f) => (
                  <li key={`${f.workspace}/${f.trigger}/${f.at}`}>
                    <time dateTime={f.at} title={formatTime(f.at)}>
                      {formatAgo(f.at, now)}
                    </time>{' '}
                    <Link
                      href={`/tasks/${encodeURIComponent(f.workspace)}/${encodeURIComponent(f.task)}`}
                    >
                      {f.task}
                    </Link>
                    <span class="muted small"> {f.trigger}</span>
                  </li>
                ))}
              </ul>
            )}
          </Card>
        </div>
      </div>
    </>
  )
}
