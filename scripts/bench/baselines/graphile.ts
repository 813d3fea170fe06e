/**
 * Baseline: graphile-worker on its own database of the same PostgreSQL, default settings
 * ("unbatched": default concurrency 1, one job per fetch, LISTEN/NOTIFY wake-ups), jobs added
 * with the runner's addJob.
 */
import { Logger, run, type Task } from 'graphile-worker'
import type { BenchContext, ScenarioResult } from '../context.ts'
import { freshDatabase } from '../pg-admin.ts'
import { Finishes, jobBody, measureQueue, packageVersion, type JobKind } from './queue-bench.ts'

const SILENT = new Logger(() => () => undefined)

export async function runGraphileBaseline(ctx: BenchContext): Promise<ScenarioResult> {
  ctx.progress('baseline graphile-worker: migrating weir_bench_graphile')
  const url = await freshDatabase('weir_bench_graphile')
  const finishes = new Finishes()
  const task =
    (kind: JobKind): Task =>
    async (payload) => {
      await jobBody(kind)
      finishes.finished((payload as { k: number }).k)
    }
  const runner = await run({
    connectionString: url,
    noHandleSignals: true,
    logger: SILENT,
    taskList: { noop: task('noop'), echo: task('echo') },
  })
  try {
    const { rows, data } = await measureQueue(
      ctx,
      {
        name: 'graphile-worker',
        finishes,
        enqueue: async (kind, k) => {
          await runner.addJob(kind, { k })
        },
      },
      { latency: 'concurrency 1 (default)', throughput: 'concurrency 1, unbatched' },
    )
    return {
      rows,
      data: { ...data, settings: { concurrency: 1, version: packageVersion('graphile-worker') } },
    }
  } finally {
    await runner.stop()
  }
}
