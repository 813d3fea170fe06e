/**
 * Where the time of B15 and B16 goes (diagnostic; docs/performance.md quotes it). Both parts run
 * with the no-op launcher on a fresh `weir_bench` database, one job at a time.
 *
 *   npx tsx scripts/bench/compose-diag.ts fan-out [rounds]
 *     `loop200` and `fanout200`: every step finish is timed (finishes of one job take turns, so
 *     each one's service time is its end minus the later of its call and the previous finish's
 *     end); then the read of a whole finished job (the job and all its steps, as a finish that
 *     reads everything does) is timed, with its size.
 *   npx tsx scripts/bench/compose-diag.ts nesting [jobs]
 *     `echo1`, `chain6` and `nest0` through a loopback proxy that counts the statements and
 *     BEGIN…COMMIT blocks each job sends (wire-counter.ts). Counts only: the proxy adds its own
 *     delays (a chain of wake-ups is several times slower through it), so nothing is timed.
 */
import { sql } from 'kysely'
import { readJobsWithSteps } from '../../src/db/queries/lock-job-with-steps.ts'
import { sleep } from './context.ts'
import { freshDatabase } from './pg-admin.ts'
import { fmt, summarize } from './stats.ts'
import { startWeir, type WeirUnderTest } from './weir-harness.ts'
import { startWireCounter } from './wire-counter.ts'

const [part, count] = [process.argv[2] ?? 'fan-out', Number(process.argv[3] ?? 0)]

async function fanOut(weir: WeirUnderTest, rounds: number): Promise<void> {
  const tasks = ['loop200', 'fanout200'] as const
  const calls: Array<{ jobId: string; start: number; end: number }> = []
  const orchestrator = weir.runtime.jobs.orchestrator
  const finish = orchestrator.finishStep.bind(orchestrator)
  orchestrator.finishStep = async (stepId, jobId, ...rest) => {
    const start = performance.now()
    try {
      return await finish(stepId, jobId, ...rest)
    } finally {
      calls.push({ jobId, start, end: performance.now() })
    }
  }
  const serviceTimes = (jobId: string) => {
    const mine = calls.filter((c) => c.jobId === jobId).sort((a, b) => a.end - b.end)
    return mine.map((c, i) => c.end - Math.max(c.start, i === 0 ? c.start : mine[i - 1]!.end))
  }
  const runs: Array<{ task: string; ms: number; jobId: string }> = []
  for (const task of tasks) await weir.run(task)
  for (let r = 0; r < rounds; r++) {
    for (const task of tasks) runs.push({ task, ...(await weir.run(task)) })
  }
  // The last finish of a job is recorded just after its job.finished event: wait for it.
  await sleep(50)
  const lastJob: Record<string, string> = {}
  for (const { task, ms, jobId } of runs) {
    const service = serviceTimes(jobId)
    const busy = service.reduce((a, b) => a + b, 0)
    const s = summarize(service)
    console.log(
      `${task.padEnd(10)} ${fmt(ms).padStart(10)} total; ${service.length} finishes, ` +
        `service p50 ${fmt(s.p50)} p95 ${fmt(s.p95)}, sum ${fmt(busy)} (${((100 * busy) / ms).toFixed(0)} % of the job)`,
    )
    lastJob[task] = jobId
  }
  const db = weir.runtime.database.db
  for (const task of tasks) {
    const jobId = lastJob[task]!
    const reads: number[] = []
    for (let i = 0; i < 40; i++) {
      const t0 = performance.now()
      await readJobsWithSteps(db, [jobId])
      reads.push(performance.now() - t0)
    }
    const { rows } = await sql<{ bytes: number; steps: number }>`
      SELECT length(coalesce(json_agg(r), '[]')::text) AS bytes, count(*)::int AS steps
      FROM step_runs r WHERE r.job_id = ${jobId}`.execute(db)
    const size = rows[0]!
    console.log(
      `${task.padEnd(10)} read of the whole job (${size.steps} steps, full rows): ` +
        `p50 ${fmt(summarize(reads).p50)}, ${(size.bytes / 1024).toFixed(0)} KiB of JSON`,
    )
  }
}

async function nesting(jobs: number): Promise<void> {
  const proxy = await startWireCounter(await freshDatabase('weir_bench'))
  const weir = await startWeir({ dbUrl: proxy.url })
  weir.launcher.mode = 'noop'
  try {
    const tasks = ['echo1', 'chain6', 'nest0'] as const
    for (const task of tasks) for (let i = 0; i < 5; i++) await weir.run(task)
    // What the server's own loops send while no job runs, per millisecond.
    await sleep(200)
    proxy.reset()
    const idleStart = performance.now()
    await sleep(1000)
    const idleRate =
      (proxy.counts.executes + proxy.counts.simpleQueries) / (performance.now() - idleStart)
    for (const task of tasks) {
      let inExecute = 0
      const onCreated = (evs: ReadonlyArray<{ type: string }>) => {
        if (evs[0]?.type === 'job.created')
          inExecute += proxy.counts.executes + proxy.counts.simpleQueries
      }
      await sleep(100)
      proxy.reset()
      const t0 = performance.now()
      for (let i = 0; i < jobs; i++) {
        const before = proxy.counts.executes + proxy.counts.simpleQueries
        inExecute -= before
        weir.runtime.events.bus.on('events', onCreated)
        await weir.run(task)
        weir.runtime.events.bus.off('events', onCreated)
      }
      await sleep(100)
      const span = performance.now() - t0
      const c = proxy.counts
      const statements = (c.executes + c.simpleQueries - idleRate * span) / jobs
      console.log(
        `${task.padEnd(7)} ${statements.toFixed(1)} statements per job ` +
          `(idle loops subtracted; ${(inExecute / jobs).toFixed(1)} until the execute committed), ` +
          `${(c.explicitTransactions / jobs).toFixed(1)} BEGIN…COMMIT blocks, ` +
          `${(c.singleStatementTransactions / jobs).toFixed(1)} single-statement transactions`,
      )
    }
  } finally {
    weir.launcher.mode = 'real'
    await weir.stop()
    await proxy.close()
  }
}

if (part === 'nesting') await nesting(count || 50)
else {
  const weir = await startWeir({ dbUrl: await freshDatabase('weir_bench') })
  weir.launcher.mode = 'noop'
  try {
    await fanOut(weir, count || 3)
  } finally {
    weir.launcher.mode = 'real'
    await weir.stop()
  }
}
process.exit(0)
