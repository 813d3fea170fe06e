/**
 * One job, live: its DAG coloured by step status and its steps (updated on every step and job
 * event of /api/events), its log streamed over the WebSocket, approvals, lineage and actions.
 */
import type { Ref } from 'preact'
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { enc, get, post } from '../data/client.ts'
import { onServerEvent, onStreamOpen } from '../data/event-stream.ts'
import { openLogStream, type LogStreamState } from '../data/log-stream.ts'
import type { ArtifactDto, JobDetail, LogLine, StepDto } from '../data/types.ts'
import { authRequired, freshToken } from '../data/session.ts'
import { durationBetween, formatBytes, formatDuration, formatTime, shortId } from '../lib/format.ts'
import { navigate } from '../lib/router.ts'
import { DagView, type DagNode } from '../components/dag-view.tsx'
import { LogView } from '../components/log-view.tsx'
import { ApprovalCard } from '../components/approval-card.tsx'
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

const TERMINAL = new Set(['completed', 'failed', 'cancelled'])
const ALL = ''

/** Instances of each loop step, by the loop step's name. */
function instancesOf(steps: ReadonlyArray<StepDto>): Map<string, StepDto[]> {
  const out = new Map<string, StepDto[]>()
  for (const s of steps) {
    if (s.loop_source === undefined) continue
    const list = out.get(s.loop_source) ?? []
    list.push(s)
    out.set(s.loop_source, list)
  }
  return out
}

function loopSummary(list: ReadonlyArray<StepDto>): string {
  const counts = new Map<string, number>()
  for (const s of list) counts.set(s.status, (counts.get(s.status) ?? 0) + 1)
  return `${list.length}×: ${[...counts].map(([k, v]) => `${v} ${k}`).join(', ')}`
}

function dagNodes(steps: ReadonlyArray<StepDto>): DagNode[] {
  const loops = instancesOf(steps)
  return steps
    .filter((s) => s.loop_source === undefined)
    .map((s) => {
      const inst = loops.get(s.step_name)
      return {
        id: s.step_name,
        dependsOn: s.depends_on,
        status: s.status,
        detail: inst
          ? loopSummary(inst)
          : s.attempt > 1
            ? `${s.status}, attempt ${s.attempt}`
            : s.status,
      }
    })
}

function StepRow(props: {
  step: StepDto
  now: number
  nested?: boolean
  onShowLog: (name: string) => void
}) {
  const s = props.step
  return (
    <tr data-step={s.step_name} data-status={s.status} class={props.nested ? 'nested' : ''}>
      <th scope="row">
        <span class={props.nested ? 'indent' : ''}>{s.step_name}</span>
        {s.child_job_id && (
          <>
            {' '}
            <Link
              href={`/jobs/${s.child_job_id}`}
              class="small"
              aria-label={`child job of ${s.step_name}`}
            >
              child job {shortId(s.child_job_id)}
            </Link>
          </>
        )}
      </th>
      <td>
        <StatusBadge status={s.status} />
      </td>
      <td>{s.action_name ?? s.action_type}</td>
      <td>{s.attempt}</td>
      <td>{formatDuration(durationBetween(s.started_at, s.completed_at, props.now))}</td>
      <td class="error-cell">{s.error_message ?? ''}</td>
      <td>
        <Button variant="plain" class="btn-small" onClick={() => props.onShowLog(s.step_name)}>
          Log<span class="sr-only"> of {s.step_name}</span>
        </Button>
      </td>
    </tr>
  )
}

function StepsTable(props: {
  steps: ReadonlyArray<StepDto>
  now: number
  onShowLog: (n: string) => void
}) {
  const loops = instancesOf(props.steps)
  const top = props.steps.filter((s) => s.loop_source === undefined)
  return (
    <div class="table-wrap">
      <table class="table" data-testid="steps-table">
        <caption class="sr-only">Steps</caption>
        <thead>
          <tr>
            <th scope="col">Step</th>
            <th scope="col">Status</th>
            <th scope="col">Action</th>
            <th scope="col">Attempt</th>
            <th scope="col">Duration</th>
            <th scope="col">Error</th>
            <th scope="col">
              <span class="sr-only">Log</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {top.map((s) => [
            <StepRow key={s.step_name} step={s} now={props.now} onShowLog={props.onShowLog} />,
            ...(loops.get(s.step_name) ?? []).map((i) => (
              <StepRow
                key={i.step_name}
                step={i}
                now={props.now}
                nested
                onShowLog={props.onShowLog}
              />
            )),
          ])}
        </tbody>
      </table>
    </div>
  )
}

/** Downloads with the bearer token when auth is on (a plain link would carry none). */
async function download(a: ArtifactDto): Promise<void> {
  const token = await freshToken()
  const res = await fetch(a.url, { headers: token ? { Authorization: `Bearer ${token}` } : {} })
  if (!res.ok) throw new Error(`download of ${a.name} failed (${res.status})`)
  const href = URL.createObjectURL(await res.blob())
  const link = document.createElement('a')
  link.href = href
  link.download = a.name.split('/').pop() ?? a.name
  link.click()
  setTimeout(() => URL.revokeObjectURL(href), 60_000)
}

/** The files the job's steps produced, listed as they are stored (reloaded on step ends). */
function Artifacts({ jobId }: { jobId: string }) {
  const [error, setError] = useState<unknown>(null)
  const list = useLoad(
    () => get<ArtifactDto[]>(`/api/jobs/${enc(jobId)}/artifacts`).catch(() => []),
    [jobId],
    (trigger) =>
      onServerEvent(
        (e) =>
          e.data.job_id === jobId &&
          (e.type === 'step.finished' || e.type === 'job.finished') &&
          trigger(),
      ),
  )
  if (!list.data || list.data.length === 0) return null
  return (
    <Card title="Artifacts" labelledBy="artifacts-title">
      <ErrorNotice error={error} />
      <ul class="list" data-testid="artifacts">
        {list.data.map((a) => (
          <li key={a.name}>
            <a
              href={a.url}
              download={a.name.split('/').pop()}
              onClick={(ev) => {
                if (!authRequired()) return
                ev.preventDefault()
                download(a).catch(setError)
              }}
            >
              {a.name}
            </a>
            <span class="muted small"> {formatBytes(a.size_bytes)}</span>
            {a.step_name && <span class="muted small"> from {a.step_name}</span>}
          </li>
        ))}
      </ul>
    </Card>
  )
}

function Lineage({ job }: { job: JobDetail }) {
  const items = [
    job.parent_job_id && (
      <li key="parent">
        Sub-task of{' '}
        <Link href={`/jobs/${job.parent_job_id}`}>job {shortId(job.parent_job_id)}</Link>
        {job.parent_step_name && <> (step {job.parent_step_name})</>}
      </li>
    ),
    job.source_job_id && (
      <li key="source">
        Re-run of <Link href={`/jobs/${job.source_job_id}`}>job {shortId(job.source_job_id)}</Link>
      </li>
    ),
    job.retry_of_job_id && (
      <li key="retry">
        Retry of{' '}
        <Link href={`/jobs/${job.retry_of_job_id}`}>job {shortId(job.retry_of_job_id)}</Link>
      </li>
    ),
  ].filter(Boolean)
  if (items.length === 0) return null
  return <ul class="lineage">{items}</ul>
}

interface LogState {
  output: LogLine[]
  server: LogLine[]
  version: number
  stream: LogStreamState
}

/** Streams the job's log into two lists, step output and `_server` lines, kept in refs. */
function useJobLog(jobId: string): LogState {
  const output = useRef<LogLine[]>([])
  const server = useRef<LogLine[]>([])
  const [version, setVersion] = useState(0)
  const [stream, setStream] = useState<LogStreamState>('connecting')
  useEffect(() => {
    output.current = []
    server.current = []
    setVersion((v) => v + 1)
    return openLogStream(jobId, {
      onLines(lines) {
        for (const l of lines) (l.step === '_server' ? server.current : output.current).push(l)
        setVersion((v) => v + 1)
      },
      onEnd: () => setVersion((v) => v + 1),
      onState: setStream,
    })
  }, [jobId])
  return { output: output.current, server: server.current, version, stream }
}

/**
 * The log cards, apart from the page so that a batch of lines re-renders only them (a big log
 * arrives in thousands of batches).
 */
function JobLog(props: {
  jobId: string
  stepNames: ReadonlyArray<string>
  stepFilter: string
  onStepFilter: (step: string) => void
  logRef: Ref<HTMLDivElement>
}) {
  const { stepFilter, stepNames } = props
  const log = useJobLog(props.jobId)
  const visible = useMemo(
    () => (stepFilter === ALL ? log.output : log.output.filter((l) => l.step === stepFilter)),
    [log.version, log.output, stepFilter],
  )
  return (
    <>
      <div ref={props.logRef}>
        <Card
          title="Log"
          labelledBy="log-title"
          actions={
            <>
              <span
                class={`stream-state stream-${log.stream}`}
                data-testid="log-stream-state"
                role="status"
              >
                {log.stream === 'live' ? 'live' : log.stream === 'ended' ? 'complete' : log.stream}
              </span>
              <label>
                Step{' '}
                <select
                  value={stepFilter}
                  onChange={(ev) => props.onStepFilter(ev.currentTarget.value)}
                >
                  <option value={ALL}>All steps</option>
                  {stepNames.map((n) => (
                    <option key={n} value={n}>
                      {n}
                    </option>
                  ))}
                </select>
              </label>
            </>
          }
        >
          <LogView
            lines={visible}
            version={log.version}
            label={stepFilter === ALL ? 'Job log' : `Log of step ${stepFilter}`}
            showStep={stepFilter === ALL}
          />
        </Card>
      </div>
      <Card title="Server events" labelledBy="server-title">
        <div class="server-log">
          <LogView
            lines={log.server}
            version={log.version}
            label="Server events"
            showStep={false}
            empty="No server events yet."
          />
        </div>
      </Card>
    </>
  )
}

export function JobDetailPage({ id }: { id: string }) {
  const now = useNow()
  const job = useLoad(
    () => get<JobDetail>(`/api/jobs/${enc(id)}`),
    [id],
    (trigger) => {
      const a = onServerEvent((e) => e.data.job_id === id && trigger())
      const b = onStreamOpen(trigger)
      return () => {
        a()
        b()
      }
    },
  )
  const [stepFilter, setStepFilter] = useState<string>(ALL)
  const [actionError, setActionError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const logRef = useRef<HTMLDivElement>(null)

  const showLog = (name: string) => {
    setStepFilter(name)
    logRef.current?.scrollIntoView({ block: 'start' })
  }

  const act = async (what: () => Promise<void>) => {
    setBusy(true)
    setActionError(null)
    try {
      await what()
    } catch (e) {
      setActionError(e)
    } finally {
      setBusy(false)
      job.reload()
    }
  }

  if (job.error && !job.data)
    return (
      <>
        <PageHeader title={`Job ${shortId(id)}`} />
        <ErrorNotice error={job.error} />
      </>
    )
  if (!job.data) return <Loading what="the job" />
  const j = job.data
  const terminal = TERMINAL.has(j.status)
  const suspended = j.steps.filter(
    (s) => s.status === 'suspended' && s.approval_fields !== undefined,
  )
  const stepNames = j.steps.map((s) => s.step_name)
  const taskHref = `/tasks/${enc(j.workspace)}/${enc(j.task_name)}`

  return (
    <>
      <PageHeader
        title={
          <>
            <Link href={taskHref}>{j.task_name}</Link>{' '}
            <span class="muted mono">{shortId(j.job_id)}</span> <StatusBadge status={j.status} />
          </>
        }
      >
        {!terminal && (
          <Button
            variant="danger"
            disabled={busy || j.cancel_requested_at !== null}
            onClick={() => void act(async () => void (await post(`/api/jobs/${enc(id)}/cancel`)))}
          >
            {j.cancel_requested_at ? 'Cancelling…' : 'Cancel'}
          </Button>
        )}
        {terminal && j.source_type !== 'hook' && (
          <Button
            disabled={busy}
            onClick={() =>
              void act(async () => {
                const r = await post<{ job_id: string }>(`/api/jobs/${enc(id)}/retry`)
                navigate(`/jobs/${r.job_id}`)
              })
            }
          >
            Retry
          </Button>
        )}
        <Link class="btn btn-plain" href={`${taskHref}?rerun=${enc(j.job_id)}`}>
          Re-run with changes
        </Link>
      </PageHeader>
      <ErrorNotice error={actionError} />
      <dl class="facts">
        <div>
          <dt>Workspace</dt>
          <dd>{j.workspace}</dd>
        </div>
        <div>
          <dt>Source</dt>
          <dd>
            {j.source_type}
            {j.source_id ? ` (${j.source_id})` : ''}
          </dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{formatTime(j.created_at)}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd data-testid="job-duration">
            {formatDuration(durationBetween(j.started_at, j.completed_at, now))}
          </dd>
        </div>
        <div>
          <dt>Revision</dt>
          <dd class="mono">{j.revision ?? '–'}</dd>
        </div>
      </dl>
      <Lineage job={j} />
      {j.error_message && <p class="notice notice-error">{j.error_message}</p>}
      {suspended.map((s) => (
        <ApprovalCard key={s.step_name} jobId={j.job_id} step={s} onDecided={job.reload} />
      ))}
      <Card title="Flow" labelledBy="flow-title">
        <DagView
          label="Job flow"
          nodes={dagNodes(j.steps)}
          selected={stepFilter === ALL ? null : stepFilter}
          onSelect={(s) => showLog(s === stepFilter ? ALL : s)}
        />
      </Card>
      <Card title="Steps" labelledBy="steps-title">
        <StepsTable steps={j.steps} now={now} onShowLog={showLog} />
      </Card>
      <JobLog
        jobId={j.job_id}
        stepNames={stepNames}
        stepFilter={stepFilter}
        onStepFilter={setStepFilter}
        logRef={logRef}
      />
      <Artifacts jobId={j.job_id} />
      <div class="grid-2">
        <Card title="Input" labelledBy="input-title">
          <pre class="json">{JSON.stringify(j.input, null, 2)}</pre>
        </Card>
        <Card title="Output" labelledBy="output-title">
          {j.output === null ? (
            <Empty>No output yet.</Empty>
          ) : (
            <pre class="json">{JSON.stringify(j.output, null, 2)}</pre>
          )}
        </Card>
      </div>
    </>
  )
}
