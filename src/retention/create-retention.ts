/**
 * The retention feature: a JobRetention per leadership term (or for one `weir prune` run), with
 * the files jobs leave (log files, artifact folders) and the settings of the `retention` section.
 */
import type { ArtifactStore } from '../artifacts/artifact-store.ts'
import type { Config } from '../config/config-schema.ts'
import type { Database } from '../db/create-db.ts'
import { jobsWithArtifacts } from '../db/queries/retention.ts'
import { removeLogFile } from '../logs/jsonl-file.ts'
import type { LogStore } from '../logs/log-store.ts'
import type { Clock } from '../shared/clock.ts'
import type { Logger } from '../shared/logger.ts'
import { JobRetention, type JobFiles } from './job-retention.ts'
import type { RetentionReport, RetentionSettings } from './retention-policy.ts'

/** The first pass waits this long after the leader starts: start-up comes first. */
export const FIRST_PASS_DELAY_MS = 60_000

export function retentionSettings(c: Config['retention']): RetentionSettings {
  const workspaces: Record<string, { jobDays: number }> = {}
  for (const [ws, o] of Object.entries(c.workspaces)) workspaces[ws] = { jobDays: o.job_days }
  return { jobDays: c.job_days, workerHours: c.worker_hours, workspaces }
}

/** Log files of jobs: the store forgets each job first (a server's store may still hold it). */
function logFiles(dir: string, store: Pick<LogStore, 'close'> | null, clock: Clock): JobFiles {
  return {
    kind: 'logFiles',
    async remove(ids) {
      let n = 0
      for (const id of ids) {
        await store?.close(id)
        if (await removeLogFile(dir, id, clock.now())) n++
      }
      return n
    },
  }
}

/** Artifact folders of the jobs that have artifacts (their rows go with the jobs). */
function artifactFiles(database: Database, store: Pick<ArtifactStore, 'deleteJobFiles'>): JobFiles {
  return {
    kind: 'artifactJobs',
    async remove(ids) {
      const withFiles = await jobsWithArtifacts(database.db, ids)
      for (const id of withFiles) await store.deleteJobFiles(id)
      return withFiles.length
    },
  }
}

export interface RetentionDeps {
  readonly config: Config
  readonly database: Database
  readonly clock: Clock
  readonly logger: Logger
  /** The server's log store; null in `weir prune`, which has none open. */
  readonly logStore: Pick<LogStore, 'close'> | null
  readonly artifacts: Pick<ArtifactStore, 'deleteJobFiles'> | null
  readonly onDeleted?: (report: RetentionReport) => void
}

export function createRetention(d: RetentionDeps): JobRetention {
  const c = d.config.retention
  const files = [logFiles(d.config.log_storage.local_dir, d.logStore, d.clock)]
  if (d.artifacts) files.push(artifactFiles(d.database, d.artifacts))
  return new JobRetention({
    db: d.database.db,
    settings: retentionSettings(c),
    files,
    clock: d.clock,
    logger: d.logger.child({ component: 'retention' }),
    intervalMs: c.interval_secs * 1000,
    firstDelayMs: FIRST_PASS_DELAY_MS,
    batch: c.batch_size,
    onDeleted: d.onDeleted,
  })
}
