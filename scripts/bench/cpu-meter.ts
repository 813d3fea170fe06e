/**
 * CPU time spent while a scenario runs, split between this process (the server under test runs
 * in it) and the local PostgreSQL's processes (read from /proc; zero where there is no /proc or
 * the server is elsewhere). CPU per job moves far less with a shared machine's load than
 * throughput does, so it is the figure to compare when changing the hot path.
 */
import { readdirSync, readFileSync } from 'node:fs'

const TICKS_PER_SEC = 100 // USER_HZ on Linux

export interface CpuSample {
  readonly processMs: number
  readonly postgresMs: number
}

/** utime + stime of every process named `postgres`, in ms. */
function postgresCpuMs(): number {
  let ticks = 0
  let pids: string[]
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p))
  } catch {
    return 0
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const close = stat.lastIndexOf(')')
      if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue
      const fields = stat.slice(close + 2).split(' ')
      // fields[11] and [12] are utime and stime (fields 14 and 15 of stat(5)).
      ticks += Number(fields[11]) + Number(fields[12])
    } catch {
      // the process ended meanwhile
    }
  }
  return (ticks * 1000) / TICKS_PER_SEC
}

export function sampleCpu(): CpuSample {
  const u = process.cpuUsage()
  return { processMs: (u.user + u.system) / 1000, postgresMs: postgresCpuMs() }
}

/** CPU ms per unit of work between two samples. */
export function cpuPer(before: CpuSample, after: CpuSample, units: number): CpuSample {
  const n = Math.max(1, units)
  return {
    processMs: (after.processMs - before.processMs) / n,
    postgresMs: (after.postgresMs - before.postgresMs) / n,
  }
}
