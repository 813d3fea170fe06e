/**
 * Spawn cost of the two process launchers, from a small parent and from a parent holding
 * ~600 MB (an embedded PGlite makes the server ~0.8 GB): fork() copies page tables, so its cost
 * grows with the parent's RSS while the spawner helper stays small.
 *
 * Usage: npx tsx scripts/bench/spawn-bench.ts [runs=300] [bigMb=600]
 */
import { monotonicMs } from '../../src/shared/clock.ts'
import { createDirectLauncher } from '../../src/runner/executors/process-launcher.ts'
import type { ProcessLauncher } from '../../src/runner/executors/process-launcher.ts'
import {
  createSpawnerLauncher,
  probePythonSpawner,
} from '../../src/runner/executors/spawner-launcher.ts'

const python = probePythonSpawner()

const runs = Number(process.argv[2] ?? '300')
const bigMb = Number(process.argv[3] ?? '600')
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' }

function runOnce(launcher: ProcessLauncher): Promise<number> {
  const start = monotonicMs()
  return new Promise((resolve, reject) => {
    launcher.launch(
      { command: 'sh', args: ['-c', 'echo hi'], cwd: process.cwd(), env },
      {
        onStdout: () => undefined,
        onStderr: () => undefined,
        onExit: () => resolve(monotonicMs() - start),
        onError: (message) => reject(new Error(message)),
      },
    )
  })
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

async function latency(launcher: ProcessLauncher): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 20; i++) await runOnce(launcher)
  const samples: number[] = []
  for (let i = 0; i < runs; i++) samples.push(await runOnce(launcher))
  samples.sort((a, b) => a - b)
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) }
}

/** Runs per second with `inFlight` launches at a time. */
async function throughput(launcher: ProcessLauncher, inFlight: number): Promise<number> {
  const start = monotonicMs()
  let next = 0
  const lane = async () => {
    while (next++ < runs) await runOnce(launcher)
  }
  await Promise.all(Array.from({ length: inFlight }, lane))
  return (runs / (monotonicMs() - start)) * 1000
}

async function measure(label: string): Promise<void> {
  const rssMb = Math.round(process.memoryUsage().rss / 1e6)
  for (const [name, launcher] of [
    ['direct', createDirectLauncher()],
    ['spawner', createSpawnerLauncher()],
    ...(python ? [['python', createSpawnerLauncher({ pythonPath: python })] as const] : []),
  ] as const) {
    const { p50, p99 } = await latency(launcher)
    const perSec = await throughput(launcher, 8)
    await launcher.close()
    console.log(
      `${label.padEnd(14)} rss=${String(rssMb).padStart(5)}MB ${name.padEnd(8)} ` +
        `p50=${p50.toFixed(2)}ms p99=${p99.toFixed(2)}ms  8-in-flight=${perSec.toFixed(0)}/s`,
    )
  }
}

async function main(): Promise<void> {
  await measure('small parent')
  const ballast: Buffer[] = []
  for (let i = 0; i < bigMb / 8; i++) ballast.push(Buffer.allocUnsafe(8 * 1024 * 1024).fill(i))
  await measure(`big parent`)
  console.log(`(ballast: ${ballast.length * 8} MB, runs per case: ${runs})`)
}

await main()
