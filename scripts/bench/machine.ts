/** What the numbers were measured on: written into every bench-results JSON. */
import { cpus, loadavg, release, totalmem } from 'node:os'
import type { PgInfo } from './pg-admin.ts'

export interface MachineInfo {
  readonly cpus: number
  readonly cpuModel: string
  readonly memoryGiB: number
  readonly node: string
  readonly kernel: string
  /** 1, 5 and 15 minute load averages when the run started: other work makes numbers noisy. */
  readonly loadAtStart: ReadonlyArray<number>
  readonly postgres: PgInfo | null
}

export function machineInfo(postgres: PgInfo | null): MachineInfo {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: release(),
    loadAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
    postgres,
  }
}

export function describeMachine(m: MachineInfo): string {
  const pgLine = m.postgres
    ? `${m.postgres.version.split(' on ')[0]}; synchronous_commit=${m.postgres.settings.synchronous_commit}, ` +
      `shared_buffers=${m.postgres.settings.shared_buffers}, pg_stat_statements ${m.postgres.pgStatStatements}`
    : 'PostgreSQL not used'
  return (
    `${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, node ${m.node}, load ${m.loadAtStart.join(' ')}\n` +
    pgLine
  )
}
