/**
 * What the client commands print for people: tables, job details, log lines, durations, the
 * progress line and errors. Pure: data and `now` in, text out; colours only when asked for.
 */
import type {
  ApiError,
  JobDetailDto,
  JobSummaryDto,
  StepDto,
  TaskDetailDto,
  TaskSummaryDto,
  WorkspaceDto,
} from './api-client.ts'

export function paint(code: string, text: string, color = true): string {
  return color ? `\u001b[${code}m${text}\u001b[0m` : text
}

const STATUS_COLOURS: Readonly<Record<string, string>> = {
  completed: '32',
  failed: '31',
  cancelled: '33',
  running: '36',
  suspended: '35',
  pending: '2',
  ready: '2',
  skipped: '2',
}

export function paintStatus(status: string, color: boolean): string {
  const code = STATUS_COLOURS[status]
  return code === undefined ? status : paint(code, status, color)
}

/** `850ms`, `12.3s`, `4m05s`, `2h03m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  const secs = Math.floor(ms / 1000)
  if (secs < 3600) return `${Math.floor(secs / 60)}m${String(secs % 60).padStart(2, '0')}s`
  const mins = Math.floor(secs / 60)
  return `${Math.floor(mins / 60)}h${String(mins % 60).padStart(2, '0')}m`
}

/** `just now`, `45s ago`, `3m ago`, `5h ago`, `2d ago`. */
export function formatAge(iso: string, nowMs: number): string {
  const secs = Math.floor((nowMs - Date.parse(iso)) / 1000)
  if (!Number.isFinite(secs)) return iso
  if (secs < 5) return 'just now'
  if (secs < 60) return `${secs}s ago`
  if (secs < 3600) return `${Math.floor(secs / 60)}m ago`
  if (secs < 86_400) return `${Math.floor(secs / 3600)}h ago`
  return `${Math.floor(secs / 86_400)}d ago`
}

/** From start to end, or to now while it runs; `-` before it started. */
function spanOf(start: string | null, end: string | null, nowMs: number): string {
  if (start === null) return '-'
  return formatDuration((end === null ? nowMs : Date.parse(end)) - Date.parse(start))
}

/** A table cell: plain text, or text with an SGR colour applied after padding. */
export type Cell = string | { readonly text: string; readonly colour: string | null }

/** Left-aligned columns two spaces apart; the last column is not padded. */
export function formatTable(
  headers: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<Cell>>,
  color: boolean,
): string {
  const text = (c: Cell) => (typeof c === 'string' ? c : c.text)
  const widths = headers.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => text(r[i] ?? '').length)),
  )
  const line = (cells: ReadonlyArray<Cell>, header: boolean) =>
    cells
      .map((c, i) => {
        const t = i === cells.length - 1 ? text(c) : text(c).padEnd(widths[i]!)
        if (header) return paint('1', t, color)
        return typeof c !== 'string' && c.colour !== null ? paint(c.colour, t, color) : t
      })
      .join('  ')
      .trimEnd()
  return [line(headers, true), ...rows.map((r) => line(r, false))].join('\n')
}

const statusCell = (status: string): Cell => ({
  text: status,
  colour: STATUS_COLOURS[status] ?? null,
})

export function formatJobList(
  jobs: ReadonlyArray<JobSummaryDto>,
  opts: { readonly color: boolean; readonly nowMs: number; readonly total: number | null },
): string {
  if (jobs.length === 0)
    return opts.total ? `no jobs on this page (${opts.total} match)` : 'no jobs'
  const rows = jobs.map((j) => [
    j.job_id,
    `${j.workspace}/${j.task_name}`,
    statusCell(j.status),
    j.source_type,
    formatAge(j.created_at, opts.nowMs),
    spanOf(j.started_at, j.completed_at, opts.nowMs),
  ])
  const table = formatTable(
    ['JOB', 'TASK', 'STATUS', 'SOURCE', 'CREATED', 'DURATION'],
    rows,
    opts.color,
  )
  const more =
    opts.total !== null && opts.total > jobs.length
      ? `\n${jobs.length} of ${opts.total} jobs (--limit for more)`
      : ''
  return table + more
}

/** First line of a message, cut to `max` characters. */
function firstLine(text: string, max = 100): string {
  const line = text.split('\n', 1)[0] ?? ''
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}

function stepNote(s: StepDto): string {
  if (s.status === 'suspended')
    return `waiting for approval: ${firstLine(s.approval_message ?? '')}`
  return s.error_message === null ? '' : firstLine(s.error_message)
}

function compactJson(v: unknown, max = 200): string {
  const text = JSON.stringify(v) ?? 'null'
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

export function formatJobDetail(
  job: JobDetailDto,
  opts: { readonly color: boolean; readonly nowMs: number },
): string {
  const { color, nowMs } = opts
  const label = (s: string) => paint('2', s.padEnd(10), color)
  const head = [
    `${label('job')}${job.job_id}`,
    `${label('task')}${job.workspace}/${job.task_name}`,
    `${label('status')}${paintStatus(job.status, color)}${
      job.cancel_requested_at !== null && job.status === 'running' ? ' (cancel requested)' : ''
    }`,
    `${label('source')}${job.source_type}${job.source_id !== null ? ` ${job.source_id}` : ''}`,
    `${label('created')}${job.created_at} (${formatAge(job.created_at, nowMs)})`,
    `${label('duration')}${spanOf(job.started_at, job.completed_at, nowMs)}`,
    ...(job.retry_of_job_id !== null ? [`${label('retry of')}${job.retry_of_job_id}`] : []),
    ...(job.error_message ? [`${label('error')}${firstLine(job.error_message)}`] : []),
    `${label('input')}${compactJson(job.input)}`,
    ...(job.output !== null && job.output !== undefined
      ? [`${label('output')}${compactJson(job.output)}`]
      : []),
  ]
  if (job.steps.length === 0) return head.join('\n')
  const rows = job.steps.map((s) => [
    s.step_name,
    statusCell(s.status),
    String(s.attempt),
    spanOf(s.started_at, s.completed_at, nowMs),
    s.exit_code === null ? '-' : String(s.exit_code),
    stepNote(s),
  ])
  const steps = formatTable(['STEP', 'STATUS', 'ATTEMPT', 'DURATION', 'EXIT', 'NOTE'], rows, color)
  return `${head.join('\n')}\n\n${steps}`
}

/** The line `weir run --follow` ends with, then one line per failed step. */
export function formatJobEnd(job: JobDetailDto, opts: { readonly color: boolean }): string {
  const took =
    job.completed_at !== null
      ? ` in ${formatDuration(Date.parse(job.completed_at) - Date.parse(job.created_at))}`
      : ''
  const lines = [`job ${job.job_id} ${paintStatus(job.status, opts.color)}${took}`]
  for (const s of job.steps) {
    if (s.status === 'failed') {
      lines.push(
        `  step ${s.step_name} failed: ${firstLine(s.error_message ?? 'no error message')}`,
      )
    }
  }
  return lines.join('\n')
}

export function formatTaskList(
  tasks: ReadonlyArray<TaskSummaryDto>,
  opts: { readonly color: boolean },
): string {
  if (tasks.length === 0) return 'no tasks'
  const rows = tasks.map((t) => [
    `${t.workspace}/${t.name}`,
    t.has_triggers ? 'yes' : '-',
    firstLine(t.description ?? t.display_name ?? ''),
  ])
  return formatTable(['TASK', 'TRIGGERS', 'DESCRIPTION'], rows, opts.color)
}

/** One task's input fields, as `-i` takes them. */
export function formatTaskDetail(task: TaskDetailDto, opts: { readonly color: boolean }): string {
  const title = `${task.workspace}/${task.name}${task.display_name ? ` (${task.display_name})` : ''}`
  const head = [paint('1', title, opts.color), ...(task.description ? [task.description] : [])]
  const fields = Object.entries(task.input)
  if (fields.length === 0) return [...head, '', 'no declared input'].join('\n')
  const rows = fields.map(([name, raw]) => {
    const f = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>
    const type = typeof f.type === 'string' ? f.type : '?'
    const options = Array.isArray(f.options) ? ` (${f.options.map(String).join('|')})` : ''
    return [
      name,
      `${f.multiple === true ? 'list of ' : ''}${type}${options}`,
      f.required === true ? 'yes' : '-',
      f.default === undefined ? '-' : compactJson(f.default, 40),
      firstLine(typeof f.description === 'string' ? f.description : ''),
    ]
  })
  const table = formatTable(
    ['INPUT', 'TYPE', 'REQUIRED', 'DEFAULT', 'DESCRIPTION'],
    rows,
    opts.color,
  )
  return [...head, '', table].join('\n')
}

export function formatWorkspaceList(
  list: ReadonlyArray<WorkspaceDto>,
  opts: { readonly color: boolean },
): string {
  if (list.length === 0) return 'no workspaces'
  const rows = list.map((w) => [
    w.name,
    String(w.tasks_count),
    String(w.actions_count),
    String(w.triggers_count),
    w.revision ?? '-',
    w.error === null
      ? { text: 'ok', colour: '32' }
      : { text: `error: ${firstLine(w.error, 80)}`, colour: '31' },
  ])
  return formatTable(
    ['WORKSPACE', 'TASKS', 'ACTIONS', 'TRIGGERS', 'REVISION', 'STATUS'],
    rows,
    opts.color,
  )
}

/**
 * A refused request: the server's message with its status and code, then the field it names
 * and a hint for missing credentials.
 */
export function formatApiError(command: string, e: ApiError): string {
  const code = e.code === null ? '' : ` ${e.code}`
  const lines = [`${command}: ${e.message} (HTTP ${e.status}${code})`]
  if (e.field !== null) lines.push(`  field: ${e.field}`)
  if (e.status === 401) lines.push('  hint: pass a token with --token or WEIR_TOKEN')
  return lines.join('\n')
}

/** The one-line display while `weir run --follow` waits, on a terminal. */
export function formatProgress(
  job: Pick<JobDetailDto, 'job_id' | 'status' | 'steps'> | null,
  elapsedMs: number,
  opts: { readonly color: boolean; readonly jobId: string },
): string {
  const secs = Math.floor(elapsedMs / 1000)
  const clock = `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, '0')}`
  const id = opts.jobId.slice(0, 8)
  if (job === null) return paint('2', `job ${id} · ${clock}`, opts.color)
  const done = job.steps.filter((s) => TERMINAL_STEPS.has(s.status)).length
  const running = job.steps.filter((s) => s.status === 'running').map((s) => s.step_name)
  const waiting = job.steps.filter((s) => s.status === 'suspended').map((s) => s.step_name)
  const parts = [
    `job ${id} ${paintStatus(job.status, opts.color)}`,
    `${done}/${job.steps.length} steps done`,
    ...(running.length > 0 ? [`running ${running.slice(0, 3).join(', ')}`] : []),
    ...(waiting.length > 0 ? [`awaiting approval: ${waiting.join(', ')}`] : []),
    clock,
  ]
  return parts.join(paint('2', ' · ', opts.color))
}

const TERMINAL_STEPS = new Set(['completed', 'failed', 'skipped', 'cancelled'])

const STEP_COLOURS = ['36', '33', '35', '34', '32', '96', '93', '95']

function stepColour(step: string): string {
  let h = 0
  for (const ch of step) h = (h * 31 + ch.charCodeAt(0)) >>> 0
  return STEP_COLOURS[h % STEP_COLOURS.length]!
}

/**
 * A JSONL log record (API.md §6.1) as `<UTC time> <step> <out|err> <line>`; colours: step by
 * name, stderr red, `_server` dim. Text that is not a record is returned as it is.
 */
export function formatLogLine(text: string, color: boolean): string {
  const msg = parseRecord(text)
  if (!msg) return text
  const ts = typeof msg.ts === 'string' ? msg.ts.slice(11, 23) : ''
  const step = typeof msg.step === 'string' ? msg.step : ''
  const marker = msg.stream === 'stderr' ? 'err' : 'out'
  const line = typeof msg.line === 'string' ? msg.line : ''
  if (!color) return `${ts} ${step.padEnd(12)} ${marker} ${line}`
  if (step === '_server') return paint('2', `${ts} ${step.padEnd(12)} ${marker} ${line}`)
  const body = marker === 'err' ? paint('31', `${marker} ${line}`) : `${marker} ${line}`
  return `${paint('2', ts)} ${paint(stepColour(step), step.padEnd(12))} ${body}`
}

/** A JSON object, or undefined for anything else. */
export function parseRecord(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text)
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}
