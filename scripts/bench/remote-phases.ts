/**
 * Where a remote worker's time goes, per step: one `weir worker` process (traced-worker.ts, which
 * times every HTTP call) against a server in this process on PostgreSQL (its request log gives
 * each call's server time). Runs 20-step chains and prints, per step, the calls made and the
 * medians of the phases between them.
 * Run: `tsx scripts/bench/remote-phases.ts [--jobs 10]`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { freshDatabase } from './pg-admin.ts'
import { fmt, summarize } from './stats.ts'
import { startWeir } from './weir-harness.ts'
import { BENCH_WORKER_TOKEN, startWorkerProcess, stopWorkerProcess } from './worker-processes.ts'

const argJobs = process.argv.indexOf('--jobs')
const JOBS = argJobs > 0 ? Number(process.argv[argJobs + 1]) : 10
const now = () => performance.timeOrigin + performance.now()

interface Call {
  readonly path: string
  readonly t0: number
  readonly t1: number
  readonly status: number
}
const serverTimes: Array<{ path: string; end: number; ms: number }> = []
const sink = new Writable({
  write(chunk: Buffer, _enc, cb) {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue
      const r = JSON.parse(line) as { msg?: string; path?: string; durationMs?: number; t: number }
      if (r.msg === 'request' && r.path && r.durationMs !== undefined)
        serverTimes.push({ path: r.path, end: r.t, ms: r.durationMs })
    }
    cb()
  },
})
const logger = pino({ level: 'info', timestamp: () => `,"t":${now()}` }, sink)

const w = await startWeir({
  dbUrl: await freshDatabase('weir_bench_remote'),
  env: { WEIR__EMBEDDED_WORKER__ENABLED: 'false', WEIR__WORKER_TOKEN: BENCH_WORKER_TOKEN },
  logger,
})
const stateDir = mkdtempSync(join(tmpdir(), 'weir-bench-worker-'))
const child = startWorkerProcess({
  base: w.base,
  name: 'bench-remote',
  stateDir,
  concurrency: 4,
  script: 'traced-worker.ts',
  stdout: 'pipe',
})
const calls: Call[] = []
createInterface({ input: child.stdout! }).on('line', (l) => calls.push(JSON.parse(l) as Call))
try {
  for (let i = 0; i < 40; i++) {
    try {
      await w.run('echo1')
      break
    } catch {
      await new Promise((r) => setTimeout(r, 250))
    }
  }
  for (let i = 0; i < 10; i++) await w.run('echo1')
  const echoes: Array<{ id: string; t0: number; end: number }> = []
  for (let i = 0; i < JOBS * 5; i++) {
    const t0 = now()
    const r = await w.run('echo1')
    echoes.push({ id: r.jobId, t0, end: t0 + r.ms })
  }
  const jobs: Array<{ id: string; ms: number }> = []
  for (let i = 0; i < JOBS; i++) {
    const r = await w.run('chain20')
    jobs.push({ id: r.jobId, ms: r.ms })
  }
  await new Promise((r) => setTimeout(r, 200))
  const phases: Record<string, number[]> = {}
  const add = (k: string, v: number) => (phases[k] ??= []).push(v)
  const counts: Record<string, number> = {}
  // A step comes in a claim's reply, or in the reply to the completion before it.
  const claims = calls.filter(
    (c) => (c.path === '/worker/claim' || c.path.endsWith('/complete')) && c.status === 200,
  )
  const serverMs = (c: Call) => {
    const m = serverTimes.find((s) => s.path === c.path && s.end >= c.t0 - 1 && s.end <= c.t1 + 1)
    return m?.ms ?? NaN
  }
  for (const job of jobs) {
    const mine = calls.filter((c) => c.path.includes(job.id))
    const byStep = new Map<string, Call[]>()
    for (const c of mine) {
      const step = c.path.split('/')[5]!
      ;(byStep.get(step) ?? byStep.set(step, []).get(step)!).push(c)
    }
    let prevComplete: Call | null = null
    for (const [, cs] of [...byStep].sort((a, b) => a[1][0]!.t0 - b[1][0]!.t0)) {
      const first = cs[0]!
      const claim = claims.filter((c) => c.t1 <= first.t0 && c !== first).at(-1)!
      for (const c of cs) {
        const kind = c.path.split('/').at(-1)!
        counts[kind] = (counts[kind] ?? 0) + 1
        add(`${kind}: client`, c.t1 - c.t0)
        add(`${kind}: server`, serverMs(c))
      }
      const logs = cs.find((c) => c.path.endsWith('/logs'))
      const complete = cs.find((c) => c.path.endsWith('/complete'))!
      add('claim reply → first lease call (process runs)', first.t0 - claim.t1)
      if (logs) add('logs reply → complete sent', complete.t0 - logs.t1)
      if (prevComplete) {
        add('prev complete sent → claim reply', claim.t1 - prevComplete.t0)
        add('prev complete reply → claim reply', claim.t1 - prevComplete.t1)
      }
      prevComplete = complete
    }
    const stepClaims = [...byStep.values()].map(
      (cs) => claims.filter((c) => c.t1 <= cs[0]!.t0 && c !== cs[0]).at(-1)!.t1,
    )
    stepClaims.sort((a, b) => a - b)
    for (let i = 1; i < stepClaims.length; i++)
      add('step cycle (claim reply → next claim reply)', stepClaims[i]! - stepClaims[i - 1]!)
  }
  for (const e of echoes) {
    const mine = calls.filter((c) => c.path.includes(e.id))
    const first = mine[0]!
    const claim = calls
      .filter((c) => c.path === '/worker/claim' && c.status === 200 && c.t1 <= first.t0)
      .at(-1)!
    const complete = mine.find((c) => c.path.endsWith('/complete'))!
    add('echo1: execute sent → claim reply', claim.t1 - e.t0)
    add('echo1: claim reply → complete sent (process runs)', complete.t0 - claim.t1)
    add('echo1: complete sent → reply', complete.t1 - complete.t0)
    add('echo1: complete server', serverMs(complete))
    add('echo1: complete reply → job.finished in the bench', e.end - complete.t1)
    add('echo1: execute sent → job.finished', e.end - e.t0)
    const exec = serverTimes.find((s) => s.path.endsWith('/execute') && s.end >= e.t0)
    if (exec) add('echo1: execute server', exec.ms)
  }
  const other = calls.filter((c) => !c.path.includes('/jobs/') && c.path !== '/worker/claim')
  console.log(`chain20 × ${JOBS}: p50 ${fmt(summarize(jobs.map((j) => j.ms)).p50)}`)
  console.log(
    'lease calls per step:',
    Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v / (JOBS * 20)])),
  )
  console.log(
    'other calls during the run:',
    other.length,
    [...new Set(other.map((c) => c.path))].join(' '),
  )
  for (const [k, v] of Object.entries(phases)) {
    const s = summarize(v.filter((x) => !Number.isNaN(x)))
    console.log(k.padEnd(48), `p50 ${fmt(s.p50)}  p99 ${fmt(s.p99)}`)
  }
} finally {
  await stopWorkerProcess(child)
  await w.stop()
  rmSync(stateDir, { recursive: true, force: true })
}
process.exit(0)
