/** Jobs as a table: task, status, source, times; each row links to the job page. */
import type { JobSummary } from '../data/types.ts'
import { durationBetween, formatAgo, formatDuration, shortId } from '../lib/format.ts'
import { Empty, Link, StatusBadge, useNow } from './ui.tsx'

export function JobTable(props: { jobs: ReadonlyArray<JobSummary>; caption: string }) {
  const now = useNow()
  if (props.jobs.length === 0) return <Empty>No jobs.</Empty>
  return (
    <div class="table-wrap">
      <table class="table" data-testid="job-table">
        <caption class="sr-only">{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Job</th>
            <th scope="col">Task</th>
            <th scope="col">Status</th>
            <th scope="col">Source</th>
            <th scope="col">Created</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          {props.jobs.map((j) => (
            <tr key={j.job_id} data-job={j.job_id} data-status={j.status}>
              <td>
                <Link href={`/jobs/${j.job_id}`} class="mono" aria-label={`job ${j.job_id}`}>
                  {shortId(j.job_id)}
                </Link>
              </td>
              <td>
                <Link
                  href={`/tasks/${encodeURIComponent(j.workspace)}/${encodeURIComponent(j.task_name)}`}
                >
                  {j.task_name}
                </Link>
                <span class="muted small"> {j.workspace}</span>
              </td>
              <td>
                <StatusBadge status={j.status} />
              </td>
              <td>{j.source_type}</td>
              <td title={j.created_at}>{formatAgo(j.created_at, now)}</td>
              <td>{formatDuration(durationBetween(j.started_at, j.completed_at, now))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
