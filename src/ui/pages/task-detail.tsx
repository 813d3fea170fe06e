/**
 * A task: the run form generated from its input schema (a re-run arrives prefilled with
 * `?rerun=<job>`), its flow as a DAG, its triggers with their next runs, and duration figures.
 */
import { useEffect, useState } from 'preact/hooks'
import { ApiError, enc, get, post } from '../data/client.ts'
import type { JobDetail, TaskDetail, TaskStats } from '../data/types.ts'
import { formatAgo, formatDuration, formatTime, shortId } from '../lib/format.ts'
import {
  fieldErrors,
  formFields,
  initialValues,
  toInput,
  type FormValues,
} from '../lib/input-form.ts'
import { navigate, useLocation } from '../lib/router.ts'
import { DagView } from '../components/dag-view.tsx'
import { InputFields } from '../components/input-fields.tsx'
import {
  Button,
  Card,
  Empty,
  ErrorNotice,
  Link,
  Loading,
  PageHeader,
  useLoad,
  useNow,
} from '../components/ui.tsx'

function RunForm(props: { task: TaskDetail; rerun: JobDetail | null }) {
  const { task, rerun } = props
  const fields = formFields(task.input)
  const [values, setValues] = useState<FormValues>(() => initialValues(fields, rerun?.input))
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    setValues(initialValues(fields, rerun?.input))
    setErrors({})
  }, [task.workspace, task.name, rerun?.job_id])

  const submit = async () => {
    setBusy(true)
    setErrors({})
    setError(null)
    try {
      const body: Record<string, unknown> = { input: toInput(fields, values) }
      if (rerun) body.source_job_id = rerun.job_id
      const r = await post<{ job_id: string }>(
        `/api/workspaces/${enc(task.workspace)}/tasks/${enc(task.name)}/execute`,
        body,
      )
      navigate(`/jobs/${r.job_id}`)
    } catch (e) {
      if (e instanceof ApiError && e.code === 'validation_failed') {
        const per = fieldErrors(e.message)
        setErrors(per)
        if (per['']) setError(per[''])
        const first = e.field?.replace(/^input\./, '')
        if (first) document.getElementById(`run-${first}`)?.focus()
      } else setError(e)
    } finally {
      setBusy(false)
    }
  }

  return (
    <form
      class="run-form"
      aria-label={`Run ${task.name}`}
      onSubmit={(ev) => {
        ev.preventDefault()
        void submit()
      }}
    >
      {rerun && (
        <p class="notice">
          Re-run of <Link href={`/jobs/${rerun.job_id}`}>job {shortId(rerun.job_id)}</Link>: secret
          fields left as they are reuse that job's values.
        </p>
      )}
      {fields.length === 0 ? (
        <p class="muted">This task takes no input.</p>
      ) : (
        <InputFields
          fields={fields}
          values={values}
          errors={errors}
          idPrefix="run"
          onChange={(name, v) => setValues((cur) => ({ ...cur, [name]: v }))}
        />
      )}
      <ErrorNotice error={error} />
      <div class="form-actions">
        <Button type="submit" variant="primary" disabled={busy}>
          {busy ? 'Starting…' : 'Run task'}
        </Button>
      </div>
    </form>
  )
}

function Sparkline({ values }: { values: ReadonlyArray<number> }) {
  if (values.length < 2) return null
  const max = Math.max(...values, 1)
  const w = 4
  return (
    <svg
      class="sparkline"
      width={values.length * (w + 1)}
      height="32"
      role="img"
      aria-label="recent durations"
    >
      {values.map((v, i) => {
        const h = Math.max(1, (v / max) * 30)
        return <rect key={i} x={i * (w + 1)} y={32 - h} width={w} height={h} />
      })}
    </svg>
  )
}

function Stats({ stats }: { stats: TaskStats }) {
  const t = stats.task
  if (t.sample_size === 0) return <Empty>No completed runs yet.</Empty>
  return (
    <>
      <dl class="facts">
        <div>
          <dt>Runs</dt>
          <dd>{t.sample_size}</dd>
        </div>
        <div>
          <dt>p50</dt>
          <dd>{formatDuration(t.p50_ms)}</dd>
        </div>
        <div>
          <dt>p95</dt>
          <dd>{formatDuration(t.p95_ms)}</dd>
        </div>
        <div>
          <dt>Average</dt>
          <dd>{formatDuration(t.avg_ms)}</dd>
        </div>
        <div>
          <dt>Range</dt>
          <dd>
            {formatDuration(t.min_ms)} – {formatDuration(t.max_ms)}
          </dd>
        </div>
      </dl>
      <Sparkline values={[...t.recent].reverse().map((r) => r.duration_ms)} />
      <table class="table">
        <caption class="sr-only">Durations per step</caption>
        <thead>
          <tr>
            <th scope="col">Step</th>
            <th scope="col">p50</th>
            <th scope="col">p95</th>
            <th scope="col">Max</th>
          </tr>
        </thead>
        <tbody>
          {stats.steps.map((s) => (
            <tr key={s.step_name}>
              <th scope="row">{s.step_name}</th>
              <td>{formatDuration(s.p50_ms)}</td>
              <td>{formatDuration(s.p95_ms)}</td>
              <td>{formatDuration(s.max_ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}

export function TaskDetailPage({ ws, name }: { ws: string; name: string }) {
  const loc = useLocation()
  const now = useNow(10_000)
  const rerunId = loc.query.get('rerun')
  const task = useLoad(
    () => get<TaskDetail>(`/api/workspaces/${enc(ws)}/tasks/${enc(name)}`),
    [ws, name],
  )
  const rerun = useLoad(
    () => (rerunId ? get<JobDetail>(`/api/jobs/${enc(rerunId)}`) : Promise.resolve(null)),
    [rerunId],
  )
  const stats = useLoad(
    () => get<TaskStats>(`/api/workspaces/${enc(ws)}/tasks/${enc(name)}/stats`),
    [ws, name],
  )

  if (task.error) {
    return (
      <>
        <PageHeader title={name} />
        <ErrorNotice error={task.error} />
      </>
    )
  }
  const t = task.data
  if (!t || (rerunId && rerun.data === undefined && !rerun.error))
    return <Loading what="the task" />
  const nodes = Object.entries(t.flow).map(([id, step]) => ({
    id,
    dependsOn: step.depends_on ?? [],
    detail:
      step.for_each !== undefined
        ? `${step.action ?? step.type ?? ''} (loop)`
        : (step.action ?? step.type ?? ''),
  }))
  return (
    <>
      <PageHeader title={t.display_name ?? t.name}>
        <Link class="btn btn-plain" href={`/jobs?workspace=${enc(ws)}&task=${enc(name)}`}>
          Jobs of this task
        </Link>
      </PageHeader>
      <p class="muted">
        <span class="mono">{t.name}</span> in workspace {t.workspace}
        {t.folder ? `, folder ${t.folder}` : ''}
      </p>
      {t.description && <p>{t.description}</p>}
      <div class="grid-2">
        <Card title={rerunId ? 'Re-run' : 'Run'} labelledBy="run-title">
          <ErrorNotice error={rerun.error} />
          <RunForm task={t} rerun={rerun.data ?? null} />
        </Card>
        <div class="stack">
          <Card title="Triggers" labelledBy="triggers-title">
            {t.triggers.length === 0 ? (
              <Empty>No triggers run this task.</Empty>
            ) : (
              <ul class="list">
                {t.triggers.map((tr) => (
                  <li key={tr.name} data-trigger={tr.name}>
                    <strong>{tr.name}</strong> <span class="pill">{tr.type}</span>
                    {!tr.enabled && <span class="pill">disabled</span>}
                    {tr.cron && (
                      <span class="mono small">
                        {' '}
                        {tr.cron} {tr.timezone}
                      </span>
                    )}
                    {tr.path && <span class="mono small"> POST {tr.path}</span>}
                    {tr.next_runs.length > 0 && (
                      <ul class="next-runs">
                        {tr.next_runs.map((r) => (
                          <li key={r}>
                            <time dateTime={r}>{formatTime(r)}</time>{' '}
                            <span class="muted small">({formatAgo(r, now)})</span>
                          </li>
                        ))}
                      </ul>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </Card>
          <Card title="Durations" labelledBy="durations-title">
            <ErrorNotice error={stats.error} />
            {stats.data ? <Stats stats={stats.data} /> : <Loading what="durations" />}
          </Card>
        </div>
      </div>
      <Card title="Flow" labelledBy="task-flow-title">
        <DagView label={`Flow of ${t.name}`} nodes={nodes} />
      </Card>
    </>
  )
}
