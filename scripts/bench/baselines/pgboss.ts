/**
 * Baseline: pg-boss on its own database of the same PostgreSQL. pg-boss has no LISTEN: its
 * workers poll (0.5 s at the least). To measure its queue rather than its polling interval,
 * every send is followed by notifyWorker(), which wakes the worker at once; one worker per queue
 * fetches up to 50 jobs at a time and runs them concurrently.
 */
import PgBoss from 'pg-boss'
import type { BenchContext, ScenarioResult } from '../context.ts'
import { freshDatabase } from '../pg-admin.ts'
import { Finishes, jobBody, JOB_KINDS, measureQueue, packageVersion } from './queue-bench.ts'

const BATCH = 50

export async function runPgBossBaseline(ctx: BenchContext): Promise<ScenarioResult> {
  ctx.progress('baseline pg-boss: creating its schema in weir_bench_pgboss')
  const url = await freshDatabase('weir_bench_pgboss')
  const boss = new PgBoss({ connectionString: url, schedule: false })
  const errors: string[] = []
  boss.on('error', (e: Error) => errors.push(e.message))
  await boss.start()
  const finishes = new Finishes()
  const workers = new Map<string, string>()
  try {
    for (const kind of JOB_KINDS) {
      await boss.createQueue(kind)
      const id = await boss.work<{ k: number }>(
        kind,
        { batchSize: BATCH, pollingIntervalSeconds: 0.5 },
        async (jobs) => {
          await Promise.all(
            jobs.map(async (job) => {
              await jobBody(kind)
              finishes.finished(job.data.k)
            }),
          )
        },
      )
      workers.set(kind, id)
    }
    const { rows, data } = await measureQueue(
      ctx,
      {
        name: 'pg-boss',
        finishes,
        enqueue: async (kind, k) => {
          await boss.send(kind, { k })
          boss.notifyWorker(workers.get(kind)!)
        },
      },
      { latency: 'woken by notifyWorker', throughput: `batchSize ${BATCH}, woken` },
    )
    if (errors.length > 0) throw new Error(`pg-boss reported: ${errors.slice(0, 3).join('; ')}`)
    return {
      rows,
      data: {
        ...data,
        settings: {
          batchSize: BATCH,
          wake: 'notifyWorker after send',
          version: packageVersion('pg-boss'),
        },
      },
    }
  } finally {
    await boss.stop({ graceful: true, wait: true, timeout: 5000 })
  }
}
