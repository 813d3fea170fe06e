/** The NOTIFY payloads that carry logs across replicas (pure). */

/** A log owner tells followers how far a log is written: `<job_id>:<seq>[:<end status>]`. */
export const LOG_CHANNEL = 'weir_log'
/** A replica with sockets on a log it does not write asks the owner for notices: `<job_id>`. */
export const LOG_INTEREST_CHANNEL = 'weir_log_interest'

export interface LogNotice {
  readonly jobId: string
  readonly seq: number
  /** Set when the log ended at `seq` (the job's status). */
  readonly endStatus: string | null
}

export function formatLogNotice(n: LogNotice): string {
  return n.endStatus === null ? `${n.jobId}:${n.seq}` : `${n.jobId}:${n.seq}:${n.endStatus}`
}

/** The notice in a payload, or null when it is malformed (ignored). */
export function parseLogNotice(payload: string): LogNotice | null {
  const [jobId, rawSeq, endStatus, ...rest] = payload.split(':')
  if (!jobId || rawSeq === undefined || rest.length > 0 || !/^\d+$/.test(rawSeq)) return null
  const seq = Number(rawSeq)
  if (!Number.isSafeInteger(seq)) return null
  return { jobId, seq, endStatus: endStatus === undefined || endStatus === '' ? null : endStatus }
}
