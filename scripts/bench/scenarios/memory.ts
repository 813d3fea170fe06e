/**
 * B14: the server's resident memory: idle (after start and a warm-up), its peak while it runs many
 * executions (10k; 2k with --quick; --b14-executions N), and again after a quiet minute (10 s with
 * --quick), with the V8 heap from /metrics beside it. The server is a child process started as
 * `npm start` starts it, driven over HTTP only: executions are sent while fewer than 64 jobs are
 * pending or running (read from the X-Total-Count of GET /api/jobs), which also gives the rate.
 */
import type { BenchContext, ScenarioResult } from '../context.ts'
import { sleep } from '../context.ts'
import type { DbKind } from '../options.ts'
import { judge, type Row } from '../report.ts'
import { perSecond } from '../stats.ts'
import { startChildServer, type ChildServer } from '../child-server.ts'

const WINDOW = 64
const SENDERS = 8
const WARM_UP = 100
/** A pause before the idle reading, so memory freed by the warm-up can be returned. */
const SETTLE_MS = 500
/** How often RSS is sampled while executions run (VmHWM catches what falls between). */
const SAMPLE_MS = 200

/** The V8 heap in use, from the server's own /metrics (prom-client's default metrics). */
async function heapUsedMiB(base: string): Promise<number> {
  const res = await fetch(`${base}/metrics`)
  const text = await res.text()
  const m = /^nodejs_heap_size_used_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(text)
  return m ? Number(m[1]) / 2 ** 20 : NaN
}

async function countJobs(base: string, status: string): Promise<number> {
  const res = await fetch(`${base}/api/jobs?workspace=bench&status=${status}&limit=1`)
  await res.arrayBuffer()
  return Number(res.headers.get('x-total-count') ?? NaN)
}

/**
 * Sends up to `n` echo1 executions (fewer if `maxMs` runs out first), keeping at most WINDOW
 * unfinished; resolves with the number sent once all of them have finished.
 */
async function drive(
  server: ChildServer,
  limits: { n: number; maxMs: number },
  onProgress: (sent: number) => void,
): Promise<number> {
  const { n } = limits
  const stopAt = performance.now() + limits.maxMs
  let sent = 0
  let open = 0
  let posting = 0
  let done = false
  const poller = (async () => {
    while (!done) {
      open = await countJobs(server.base, 'pending,running')
      await sleep(25)
    }
  })()
  const sender = async () => {
    while (sent < n && performance.now() < stopAt) {
      if (open + posting >= WINDOW) {
        await sleep(2)
        continue
      }
      sent++
      posting++
      if (sent % 500 === 0) onProgress(sent)
      try {
        const res = await fetch(`${server.base}/api/workspaces/bench/tasks/echo1/execute`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
        await res.arrayBuffer()
        if (!res.ok) throw new Error(`execute: ${res.status}`)
      } finally {
        posting--
        open++
      }
    }
  }
  await Promise.all(Array.from({ length: SENDERS }, sender))
  while ((await countJobs(server.base, 'pending,running')) > 0) await sleep(25)
  done = true
  await poller
  return sent
}

export async function runB14(
  ctx: BenchContext,
  db: DbKind,
  dbUrl: string | null,
  opts: { executions: number | null } = { executions: null },
): Promise<ScenarioResult> {
  const planned = opts.executions ?? (ctx.quick ? 2000 : 10_000)
  const idleMs = ctx.quick ? 10_000 : 60_000
  ctx.progress(`B14 ${db}: starting weir serve as a child process`)
  const server = await startChildServer(dbUrl)
  try {
    const started = server.memory()
    await drive(server, { n: WARM_UP, maxMs: 60_000 }, () => undefined)
    await sleep(SETTLE_MS)
    const idle = server.memory()
    const idleHeap = await heapUsedMiB(server.base)
    let sampledPeak = idle.rssMiB
    const sampler = setInterval(() => {
      sampledPeak = Math.max(sampledPeak, server.memory().rssMiB)
    }, SAMPLE_MS)
    const t0 = performance.now()
    // Time is bounded by the rate: at least 40 executions/s, so a busy machine shortens the run.
    const maxMs = Math.max(15_000, (planned / 40) * 1000)
    let sent: number
    try {
      sent = await drive(server, { n: planned, maxMs }, (k) =>
        ctx.progress(`B14 ${db}: ${k}/${planned} sent`),
      )
    } finally {
      clearInterval(sampler)
    }
    const ms = performance.now() - t0
    const end = server.memory()
    const endHeap = await heapUsedMiB(server.base)
    // VmHWM is the true peak since the process started (start-up included).
    const peak = Math.max(sampledPeak, end.peakMiB)
    ctx.progress(`B14 ${db}: ${sent} executions done; idle for ${idleMs / 1000} s`)
    await sleep(idleMs)
    const after = server.memory()
    const afterHeap = await heapUsedMiB(server.base)
    const completed = await countJobs(server.base, 'completed')
    const enough = sent >= planned
    // Issue targets: ≤ 100 MB idle; a peak of ≤ 160 MB throughout (MB = 10^6 bytes).
    const MB = 1e6 / 2 ** 20
    const of = `${sent} executions${enough ? '' : ` (of ${planned}: time ran out)`}`
    const rows: Row[] = [
      {
        scenario: 'B14',
        name: 'server RSS idle (after start + warm-up)',
        db,
        value: { amount: idle.rssMiB, unit: 'MiB' },
        target: '≤ 100 MB',
        met: judge(db, idle.rssMiB <= 100 * MB),
      },
      {
        scenario: 'B14',
        name: '  of which private (RssAnon; the rest is the node binary and libraries)',
        db,
        value: { amount: idle.anonMiB, unit: 'MiB' },
      },
      {
        scenario: 'B14',
        name: `server RSS peak during ${of}`,
        db,
        value: { amount: peak, unit: 'MiB' },
        target: '≤ 160 MB',
        met: judge(db, peak <= 160 * MB),
      },
      {
        scenario: 'B14',
        name: `  at the end of the run (V8 heap used ${endHeap.toFixed(0)} MiB)`,
        db,
        value: { amount: end.rssMiB, unit: 'MiB' },
      },
      {
        scenario: 'B14',
        name: `server RSS after ${idleMs / 1000} s idle (V8 heap used ${afterHeap.toFixed(0)} MiB, idle ${idleHeap.toFixed(0)})`,
        db,
        value: { amount: after.rssMiB, unit: 'MiB' },
      },
      {
        scenario: 'B14',
        name: `  executions/s while at it (HTTP, ${WINDOW} open)`,
        db,
        value: { amount: perSecond(sent, ms), unit: 'exec/s' },
        compare: { key: 'echo-throughput', system: 'weir' },
      },
    ]
    return {
      rows,
      data: {
        planned,
        executions: sent,
        completed: completed - WARM_UP,
        memoryMiB: { started, idle, end, after, peak },
        heapUsedMiB: { idle: idleHeap, end: endHeap, after: afterHeap },
        ms,
        idleMs,
      },
    }
  } finally {
    await server.stop()
  }
}
