/**
 * B6 through remote workers (PostgreSQL): the same no-op 1-step jobs as B6, 64 in flight, run by
 * `weir worker` processes whose steps exit at once (noop-worker.ts) against a server with its
 * embedded worker off: first one worker, then two. The ratio is what adding a worker brings.
 * Each worker has B6's 16 slots; on a machine with few cores the server, PostgreSQL and the
 * workers share them, which bounds what a second worker can add.
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BenchContext, ScenarioResult } from '../context.ts'
import { closedLoop } from '../context.ts'
import { cpuPer, sampleCpu } from '../cpu-meter.ts'
import { freshDatabase } from '../pg-admin.ts'
import { judge, type Row } from '../report.ts'
import { perSecond } from '../stats.ts'
import { BENCH_CONCURRENCY, startWeir } from '../weir-harness.ts'
import {
  BENCH_WORKER_TOKEN,
  startWorkerProcess,
  stopWorkerProcess,
  waitForWorkers,
} from '../worker-processes.ts'
import { THROUGHPUT_WINDOW } from './engine-throughput.ts'

const SCALE_TARGET = 1.7

export async function runB6Remote(ctx: BenchContext): Promise<ScenarioResult> {
  const weir = await startWeir({
    dbUrl: await freshDatabase('weir_bench_remote_noop'),
    env: { WEIR__EMBEDDED_WORKER__ENABLED: 'false', WEIR__WORKER_TOKEN: BENCH_WORKER_TOKEN },
  })
  const stateDir = mkdtempSync(join(tmpdir(), 'weir-bench-noop-workers-'))
  const workers: ChildProcess[] = []
  const ws = weir.app.registry.getWorkspace('bench')
  const task = ws.tasks.get('echo1')
  if (!task) throw new Error('bench workspace has no echo1 task')
  const oneJob = async () => {
    const { jobId } = await weir.runtime.jobs.orchestrator.createJob({
      workspace: ws,
      task,
      input: {},
      source: { type: 'api', id: null },
    })
    const end = await weir.finished(jobId)
    if (end.status !== 'completed') throw new Error(`no-op job ${jobId} ended ${end.status}`)
  }
  const measure = async (n: number) => {
    workers.push(
      startWorkerProcess({
        base: weir.base,
        name: `bench-noop-${n}`,
        stateDir,
        concurrency: BENCH_CONCURRENCY,
        script: 'noop-worker.ts',
      }),
    )
    await waitForWorkers(weir.base, n)
    await closedLoop({ count: 200, maxMs: 1000, window: THROUGHPUT_WINDOW }, oneJob)
    const before = sampleCpu()
    const { done, ms } = await closedLoop(
      {
        count: ctx.quick ? 3000 : 20_000,
        maxMs: ctx.quick ? 2000 : 10_000,
        window: THROUGHPUT_WINDOW,
      },
      oneJob,
    )
    const cpu = cpuPer(before, sampleCpu(), done)
    ctx.progress(`B6 remote: ${n} worker(s), ${done} no-op jobs in ${ms.toFixed(0)} ms`)
    return { rate: perSecond(done, ms), jobs: done, ms, serverCpuMs: cpu.processMs }
  }
  try {
    const one = await measure(1)
    const two = await measure(2)
    const scale = two.rate / one.rate
    const rows: Row[] = [
      {
        scenario: 'B6',
        name: `no-op 1-step jobs through 1 remote worker (${BENCH_CONCURRENCY} slots)`,
        db: 'pg',
        value: { amount: one.rate, unit: 'steps/s' },
      },
      {
        scenario: 'B6',
        name: `  through 2 remote workers`,
        db: 'pg',
        value: { amount: two.rate, unit: 'steps/s' },
      },
      {
        scenario: 'B6',
        name: '  two workers ÷ one',
        db: 'pg',
        value: { amount: scale, unit: '×' },
        target: `≥ ${SCALE_TARGET}×`,
        met: judge('pg', scale >= SCALE_TARGET),
      },
    ]
    return { rows, data: { one, two, scale } }
  } finally {
    await Promise.all(workers.map(stopWorkerProcess))
    await weir.stop()
    rmSync(stateDir, { recursive: true, force: true })
  }
}
