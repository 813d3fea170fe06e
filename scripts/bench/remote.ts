/**
 * Remote worker latency against the embedded worker, in the same run on the same PostgreSQL:
 * B1 (1-step echo, execute → finished) and the 20-step chain, first with the in-process worker,
 * then with the embedded worker off and one `weir worker` process on the long-poll protocol.
 * Run: `npm run bench:remote [-- --samples 200]`.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { freshDatabase } from './pg-admin.ts'
import { fmt, summarize } from './stats.ts'
import { startWeir, type WeirUnderTest } from './weir-harness.ts'

const argSamples = process.argv.indexOf('--samples')
const SAMPLES = argSamples > 0 ? Number(process.argv[argSamples + 1]) : 200
const CHAINS = Math.max(3, Math.round(SAMPLES / 20))
const TOKEN = 'bench-enrollment-token-0123456789'

async function measure(w: WeirUnderTest, label: string): Promise<Record<string, number[]>> {
  for (let i = 0; i < 10; i++) await w.run('echo1') // warm-up
  const echo: number[] = []
  for (let i = 0; i < SAMPLES; i++) echo.push((await w.run('echo1')).ms)
  const chain: number[] = []
  for (let i = 0; i < CHAINS; i++) chain.push((await w.run('chain20')).ms)
  process.stderr.write(`  … ${label}: done\n`)
  return { echo, chain }
}

async function waitForWorker(base: string): Promise<void> {
  const deadline = performance.now() + 60_000
  while (performance.now() < deadline) {
    const res = await fetch(`${base}/api/workers`)
    const list = (await res.json()) as Array<{ kind: string; status: string }>
    if (list.some((x) => x.kind === 'remote' && x.status === 'active')) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('the remote worker did not register within 60 s')
}

const embedded = await startWeir({ dbUrl: await freshDatabase('weir_bench_remote') })
const local = await measure(embedded, 'embedded worker')
await embedded.stop()

const remote = await startWeir({
  dbUrl: await freshDatabase('weir_bench_remote'),
  env: { WEIR__EMBEDDED_WORKER__ENABLED: 'false', WEIR__WORKER_TOKEN: TOKEN },
})
const stateDir = mkdtempSync(join(tmpdir(), 'weir-bench-worker-'))
const bin = resolve(import.meta.dirname, '../../bin/weir.js')
const child = spawn(
  process.execPath,
  [
    bin,
    'worker',
    '--server',
    remote.base,
    '--token',
    TOKEN,
    '--name',
    'bench-remote',
    '--state-dir',
    stateDir,
  ],
  {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, WEIR_WORKER__CONCURRENCY: '4' },
  },
)
try {
  await waitForWorker(remote.base)
  const far = await measure(remote, 'remote worker')
  const rows: Array<[string, number[], number[]]> = [
    ['B1 1-step echo, execute → finished', local.echo!, far.echo!],
    ['B3 20-step chain, total', local.chain!, far.chain!],
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
  child.kill('SIGTERM')
  await new Promise((r) => child.once('exit', r))
  await remote.stop()
  rmSync(stateDir, { recursive: true, force: true })
}
process.exit(0)
