/**
 * Remote worker latency against the embedded worker, in the same run on the same PostgreSQL:
 * B1 (1-step echo, execute → finished) and the 20-step chain, on two servers side by side: one
 * with the in-process worker, one with the embedded worker off and one `weir worker` process on
 * the long-poll protocol. Samples alternate between the two, so a shared machine's load changes
 * weigh on both alike (measured one after the other, the ratio moved by 0.5 between runs).
 * Run: `npm run bench:remote [-- --samples 200]`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { freshDatabase } from './pg-admin.ts'
import { fmt, summarize } from './stats.ts'
import { startWeir, type WeirUnderTest } from './weir-harness.ts'
import {
  BENCH_WORKER_TOKEN,
  startWorkerProcess,
  stopWorkerProcess,
  waitForWorkers,
} from './worker-processes.ts'

const argSamples = process.argv.indexOf('--samples')
const SAMPLES = argSamples > 0 ? Number(process.argv[argSamples + 1]) : 200
const CHAINS = Math.max(3, Math.round(SAMPLES / 20))

type Samples = { echo: number[]; chain: number[] }

/** Both servers, sample by sample in turn: the same load weighs on each. */
async function measure(servers: ReadonlyArray<WeirUnderTest>): Promise<Samples[]> {
  const out = servers.map((): Samples => ({ echo: [], chain: [] }))
  for (const w of servers) for (let i = 0; i < 10; i++) await w.run('echo1') // warm-up
  for (let i = 0; i < SAMPLES; i++)
    for (const [k, w] of servers.entries()) out[k]!.echo.push((await w.run('echo1')).ms)
  for (let i = 0; i < CHAINS; i++)
    for (const [k, w] of servers.entries()) out[k]!.chain.push((await w.run('chain20')).ms)
  process.stderr.write('  … done\n')
  return out
}

const embedded = await startWeir({ dbUrl: await freshDatabase('weir_bench_remote') })
const remote = await startWeir({
  dbUrl: await freshDatabase('weir_bench_remote_far'),
  env: { WEIR__EMBEDDED_WORKER__ENABLED: 'false', WEIR__WORKER_TOKEN: BENCH_WORKER_TOKEN },
})
const stateDir = mkdtempSync(join(tmpdir(), 'weir-bench-worker-'))
const child = startWorkerProcess({
  base: remote.base,
  name: 'bench-remote',
  stateDir,
  concurrency: 4,
})
try {
  await waitForWorkers(remote.base)
  const loadBefore = loadavg()[0]!
  const [local, far] = (await measure([embedded, remote])) as [Samples, Samples]
  console.log(
    `load average (1 min) ${loadBefore.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end`,
  )
  const rows: Array<[string, number[], number[]]> = [
    ['B1 1-step echo, execute → finished', local.echo, far.echo],
    ['B3 20-step chain, total', local.chain, far.chain],
  ]
  console.log(
    'scenario'.padEnd(38),
    'embedded p50 / p99'.padEnd(22),
    'remote p50 / p99'.padEnd(22),
    'ratio p50',
  )
  for (const [name, a, b] of rows) {
    const x = summarize(a)
    const y = summarize(b)
    console.log(
      name.padEnd(38),
      `${fmt(x.p50)} / ${fmt(x.p99)}`.padEnd(22),
      `${fmt(y.p50)} / ${fmt(y.p99)}`.padEnd(22),
      `${(y.p50 / x.p50).toFixed(2)}×`,
    )
  }
} finally {
  await stopWorkerProcess(child)
  await remote.stop()
  await embedded.stop()
  rmSync(stateDir, { recursive: true, force: true })
}
process.exit(0)
