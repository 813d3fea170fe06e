/**
 * Prometheus metrics (API.md §9) on a private registry: HTTP requests, job and trigger counters
 * fed by domain events after commit, and gauges read from the database when scraped. No label
 * ever carries a job id, so cardinality stays bounded by workspaces, tasks and triggers.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { assertNever } from '../shared/errors.ts'
import type { DomainEvent } from '../shared/events.ts'

/** What a scrape reads from the database; counts by status. */
export interface MetricsSnapshot {
  readonly jobs: Readonly<Record<string, number>>
  readonly workers: Readonly<Record<string, number>>
  readonly stepsReady: number
}

export interface MetricsOptions {
  /** Reads the gauges' current values; null until the database is open. */
  readonly snapshot: () => Promise<MetricsSnapshot | null>
  readonly nowMs: () => number
  /** Adds Node's default process_* / nodejs_* metrics (off in tests that build many apps). */
  readonly defaultMetrics?: boolean
}

export interface Metrics {
  readonly contentType: string
  render(): Promise<string>
  observeRequest(method: string, route: string, status: number, seconds: number): void
  observeEvents(events: ReadonlyArray<DomainEvent>): void
  /** A log line stored, by stream. */
  countLogLines(stream: string, n: number): void
  /** Open streaming connections by kind (`ws`, `sse`): +1 on open, -1 on close. */
  trackStream(kind: 'ws' | 'sse', delta: 1 | -1): void
  leaseLost(reason: 'expired' | 'restarted' | 'revoked'): void
  /** What retention deleted, by kind (`jobs`, `steps`, `log_files`, `artifact_jobs`, `workers`). */
  retentionDeleted(kind: string, n: number): void
}

export function createMetrics(opts: MetricsOptions): Metrics {
  const registry = new Registry()
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry })
  const on = { registers: [registry] }

  const httpTotal = new Counter({
    ...on,
    name: 'weir_http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
  })
  const httpSeconds = new Histogram({
    ...on,
    name: 'weir_http_request_duration_seconds',
    help: 'HTTP request duration by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  })
  const jobsCreated = new Counter({
    ...on,
    name: 'weir_jobs_created_total',
    help: 'Jobs created by workspace and source type',
    labelNames: ['workspace', 'source_type'] as const,
  })
  const jobsFinished = new Counter({
    ...on,
    name: 'weir_jobs_finished_total',
    help: 'Jobs finished by workspace and final status',
    labelNames: ['workspace', 'status'] as const,
  })
  const triggerFires = new Counter({
    ...on,
    name: 'weir_trigger_fires_total',
    help: 'Scheduler fires by workspace, trigger and result',
    labelNames: ['workspace', 'trigger', 'result'] as const,
  })
  const schedulerLag = new Histogram({
    ...on,
    name: 'weir_scheduler_lag_seconds',
    help: 'Actual minus nominal fire time of scheduler triggers',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
  })
  const logLines = new Counter({
    ...on,
    name: 'weir_log_lines_total',
    help: 'Log lines stored by stream',
    labelNames: ['stream'] as const,
  })
  const streams = new Gauge({
    ...on,
    name: 'weir_stream_connections',
    help: 'Open log (ws) and event (sse) streams',
    labelNames: ['kind'] as const,
  })
  const leasesLost = new Counter({
    ...on,
    name: 'weir_leases_lost_total',
    help: 'Step leases lost by reason',
    labelNames: ['reason'] as const,
  })
  const retained = new Counter({
    ...on,
    name: 'weir_retention_deleted_total',
    help: 'Rows and files deleted by retention, by kind',
    labelNames: ['kind'] as const,
  })

  // The database gauges share one read per scrape.
  let pending: Promise<MetricsSnapshot | null> | null = null
  const snapshot = (): Promise<MetricsSnapshot | null> => {
    pending ??= opts.snapshot().finally(() => (pending = null))
    return pending
  }
  const byStatus = (
    name: string,
    help: string,
    pick: (s: MetricsSnapshot) => Record<string, number>,
  ) =>
    new Gauge({
      ...on,
      name,
      help,
      labelNames: ['status'] as const,
      async collect() {
        const s = await snapshot()
        this.reset()
        if (s) for (const [status, n] of Object.entries(pick(s))) this.set({ status }, n)
      },
    })
  byStatus('weir_jobs', 'Active jobs by status', (s) => ({ ...s.jobs }))
  byStatus('weir_workers', 'Workers by status', (s) => ({ ...s.workers }))
  new Gauge({
    ...on,
    name: 'weir_steps_ready',
    help: 'Steps ready and waiting for a worker',
    async collect() {
      const s = await snapshot()
      this.set(s?.stepsReady ?? 0)
    },
  })

  return {
    contentType: registry.contentType,
    render: () => registry.metrics(),
    observeRequest(method, route, status, seconds) {
      httpTotal.inc({ method, route, status: String(status) })
      httpSeconds.observe({ method, route }, seconds)
    },
    observeEvents(events) {
      for (const e of events) observeEvent(e)
    },
    countLogLines: (stream, n) => logLines.inc({ stream }, n),
    trackStream: (kind, delta) => streams.inc({ kind }, delta),
    leaseLost: (reason) => leasesLost.inc({ reason }),
    retentionDeleted: (kind, n) => retained.inc({ kind }, n),
  }

  function observeEvent(e: DomainEvent): void {
    switch (e.type) {
      case 'job.created': {
        const d = (e as DomainEvent<'job.created'>).data
        jobsCreated.inc({ workspace: d.workspace, source_type: d.source_type })
        return
      }
      case 'job.finished': {
        const d = (e as DomainEvent<'job.finished'>).data
        jobsFinished.inc({ workspace: d.workspace, status: d.status })
        return
      }
      case 'trigger.fired': {
        const d = (e as DomainEvent<'trigger.fired'>).data
        triggerFires.inc({ workspace: d.workspace, trigger: d.trigger, result: 'created' })
        const lag = (opts.nowMs() - Date.parse(d.scheduled_for)) / 1000
        if (Number.isFinite(lag)) schedulerLag.observe(Math.max(0, lag))
        return
      }
      case 'trigger.skipped': {
        const d = (e as DomainEvent<'trigger.skipped'>).data
        triggerFires.inc({ workspace: d.workspace, trigger: d.trigger, result: 'skipped' })
        return
      }
      case 'job.started':
      case 'job.cancel_requested':
      case 'step.started':
      case 'step.finished':
      case 'step.retrying':
      case 'step.suspended':
      case 'worker.changed':
        return
      default:
        assertNever(e.type, 'event type')
    }
  }
}
