/**
 * What retention deletes, as plain data (pure): from the settings and the time of the pass, the
 * cutoff of each group of workspaces and of lost workers. A workspace with its own `job_days`
 * gets its own rule and leaves the default's; `job_days: 0` keeps its jobs forever.
 */

export interface RetentionSettings {
  /** Terminal jobs older than this many days go; 0 keeps them forever. */
  readonly jobDays: number
  /** Lost or revoked workers unseen for this many hours go; 0 keeps them. */
  readonly workerHours: number
  /** Per workspace: its own `job_days`. */
  readonly workspaces: Readonly<Record<string, { readonly jobDays: number }>>
}

/** Which workspaces a rule covers: one by name, or all but the named ones. */
export type WorkspaceScope = { readonly only: string } | { readonly except: ReadonlyArray<string> }

export interface JobExpiry {
  readonly scope: WorkspaceScope
  readonly days: number
  /** Jobs created and finished before this go. */
  readonly cutoff: Date
}

const DAY_MS = 86_400_000
const HOUR_MS = 3_600_000

/** The job rules of one pass: the default (if on) and each workspace override that is on. */
export function jobExpiries(s: RetentionSettings, now: Date): JobExpiry[] {
  const out: JobExpiry[] = []
  const overridden = Object.keys(s.workspaces).sort()
  if (s.jobDays > 0) {
    out.push({
      scope: { except: overridden },
      days: s.jobDays,
      cutoff: new Date(now.getTime() - s.jobDays * DAY_MS),
    })
  }
  for (const ws of overridden) {
    const days = s.workspaces[ws]!.jobDays
    if (days > 0) {
      out.push({ scope: { only: ws }, days, cutoff: new Date(now.getTime() - days * DAY_MS) })
    }
  }
  return out
}

/** Workers unseen since before this go (null: worker retention is off). */
export function workerCutoff(s: RetentionSettings, now: Date): Date | null {
  return s.workerHours > 0 ? new Date(now.getTime() - s.workerHours * HOUR_MS) : null
}

/** What one pass removed (or, dry, would remove). */
export interface RetentionReport {
  jobs: number
  steps: number
  logFiles: number
  artifactJobs: number
  workers: number
}

export function emptyReport(): RetentionReport {
  return { jobs: 0, steps: 0, logFiles: 0, artifactJobs: 0, workers: 0 }
}

/** One line for the log and the CLI: `12 jobs (30 steps, 12 log files), 2 workers`. */
export function describeReport(r: RetentionReport): string {
  const parts = [`${r.steps} steps`, `${r.logFiles} log files`]
  if (r.artifactJobs > 0) parts.push(`artifacts of ${r.artifactJobs} jobs`)
  return `${r.jobs} jobs (${parts.join(', ')}), ${r.workers} workers`
}
