/**
 * B6: engine-only steps per second. The server's launcher is switched to no-op (each step
 * "exits 0" at once, no process), and 1-step jobs are created straight through the orchestrator,
 * 64 at a time, each replaced as soon as it finishes: what remains is claims, completions, log
 * bookkeeping and events, i.e. the engine and the database.
 */
import { listStepsOfJob } from '../../../src/db/repositories/job.repository.ts'
import type { BenchContext, ScenarioResult } from '../context.ts'
import { closedLoop } from '../context.ts'
import { cpuPer, sampleCpu } from '../cpu-meter.ts'
import type { DbKind } from '../options.ts'
import { judge, type Row } from '../report.ts'
import { perSecond, summarize } from '../stats.ts'
import type { WeirUnderTest } from '../weir-harness.ts'

export const THROUGHPUT_WINDOW = 64
const TARGET = 1000

export async function runB6(
  ctx: BenchContext,
  db: DbKind,
  weir: WeirUnderTest,
): Promise<ScenarioResult> {
  const ws = weir.app.registry.getWorkspace('bench')
  const task = ws.tasks.get('echo1')
  if (!task) throw new Error('bench workspace has no echo1 task')
  const { orchestrator } = weir.runtime.jobs
  const oneJob = async (latencies?: number[]) => {
    const t0 = performance.now()
    const { jobId } = await orchestrator.createJob({
      workspace: ws,
      task,
      input: {},
      source: { type: 'api', id: null },
    })
    const end = await weir.finished(jobId)
    if (end.status !== 'completed') {
      const steps = await listStepsOfJob(weir.runtime.database.db, jobId)
      const why = steps.map((s) => `${s.name}: ${s.status} ${s.errorMessage ?? ''}`).join('; ')
      throw new Error(`no-op job ${jobId} ended ${end.status} (${why})`)
    }
    latencies?.push(end.at - t0)
  }
  weir.launcher.mode = 'noop'
  try {
    await closedLoop({ count: 200, maxMs: 500, window: THROUGHPUT_WINDOW }, () => oneJob())
    const latencies: number[] = []
    const count = ctx.quick ? 3000 : 20_000
    const cpuBefore = sampleCpu()
    const { done, ms } = await closedLoop(
      { count, maxMs: ctx.quick ? 2000 : 20_000, window: THROUGHPUT_WINDOW },
      () => oneJob(latencies),
    )
    const cpu = cpuPer(cpuBefore, sampleCpu(), done)
    const rate = perSecond(done, ms)
    ctx.progress(`B6 ${db}: ${done} no-op jobs in ${ms.toFixed(0)} ms`)
    const rows: Row[] = [
      {
        scenario: 'B6',
        name: `no-op 1-step jobs, ${THROUGHPUT_WINDOW} in flight`,
        db,
        value: { amount: rate, unit: 'steps/s' },
        target: `≥ ${TARGET} steps/s`,
        met: judge(db, rate >= TARGET),
        compare: { key: 'noop-throughput', system: 'weir' },
      },
      {
        scenario: 'B6',
        name: '  create → finished under that load',
        db,
        latency: summarize(latencies),
      },
      {
        scenario: 'B6',
        name: '  CPU per job: Weir process',
        db,
        value: { amount: cpu.processMs, unit: 'ms' },
      },
      ...(db === 'pg'
        ? [
            {
              scenario: 'B6',
              name: '  CPU per job: local PostgreSQL processes',
              db,
              value: { amount: cpu.postgresMs, unit: 'ms' },
            } satisfies Row,
          ]
        : []),
    ]
    return {
      rows,
      data: { jobs: done, ms, stepsPerSec: rate, window: THROUGHPUT_WINDOW, cpuPerJob: cpu },
    }
  } finally {
    weir.launcher.mode = 'real'
  }
}
