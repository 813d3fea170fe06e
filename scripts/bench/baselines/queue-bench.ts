/**
 * What the queue baselines share: the two job bodies (no-op, and `sh -c 'echo hi'` with
 * child_process.execFile), the "handler finished" signal, and the two measurements, timed like
 * Weir's: one job at a time (enqueue → handler finished, as B1) and 64 in flight (as B6).
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import type { BenchContext } from '../context.ts'
import { closedLoop, repeat } from '../context.ts'
import type { CompareKey, Row } from '../report.ts'
import { perSecond, summarize, type Summary } from '../stats.ts'

const run = promisify(execFile)
export type JobKind = 'noop' | 'echo'
export const JOB_KINDS: ReadonlyArray<JobKind> = ['noop', 'echo']

/** Runs the body of a `kind` job. */
export async function jobBody(kind: JobKind): Promise<void> {
  if (kind === 'echo') await run('sh', ['-c', 'echo hi'])
}

/** Handlers call `finished(key)` as their last act; enqueuers wait on `wait(key)`. */
export class Finishes {
  readonly #waiting = new Map<number, () => void>()
  readonly #early = new Set<number>()
  #next = 0

  key(): number {
    return this.#next++
  }

  finished(key: number): void {
    const w = this.#waiting.get(key)
    if (w) {
      this.#waiting.delete(key)
      w()
    } else this.#early.add(key)
  }

  wait(key: number): Promise<void> {
    if (this.#early.delete(key)) return Promise.resolve()
    return new Promise((r) => this.#waiting.set(key, r))
  }
}

export interface QueueUnderTest {
  readonly name: string
  readonly finishes: Finishes
  /** Adds one job and returns once the queue has accepted it. */
  enqueue(kind: JobKind, key: number): Promise<void>
}

const THROUGHPUT_WINDOW = 64

async function oneJob(q: QueueUnderTest, kind: JobKind): Promise<number> {
  const key = q.finishes.key()
  const t0 = performance.now()
  await q.enqueue(kind, key)
  await q.finishes.wait(key)
  return performance.now() - t0
}

export async function measureQueue(
  ctx: BenchContext,
  q: QueueUnderTest,
  note: { latency: string; throughput: string },
): Promise<{ rows: Row[]; data: Record<string, unknown> }> {
  const rows: Row[] = []
  const data: Record<string, unknown> = {}
  for (const kind of JOB_KINDS) {
    for (let i = 0; i < 5; i++) await oneJob(q, kind)
    const samples: number[] = []
    await repeat(
      { count: ctx.quick ? 50 : 500, maxMs: ctx.quick ? 750 : 10_000, minCount: 20 },
      async () => {
        samples.push(await oneJob(q, kind))
      },
    )
    const latency: Summary = summarize(samples)
    const { done, ms } = await closedLoop(
      {
        count: ctx.quick ? 3000 : 20_000,
        maxMs: ctx.quick ? 1000 : 10_000,
        window: THROUGHPUT_WINDOW,
      },
      async () => {
        await oneJob(q, kind)
      },
    )
    const rate = perSecond(done, ms)
    ctx.progress(
      `baseline ${q.name} ${kind}: p50 ${latency.p50.toFixed(2)} ms, ${rate.toFixed(0)}/s`,
    )
    const body = kind === 'echo' ? 'sh echo' : 'no-op'
    const key = (k: CompareKey | null) => (k ? { compare: { key: k, system: q.name } } : {})
    rows.push(
      {
        scenario: 'base',
        name: `${q.name}: ${body}, enqueue → handler done`,
        db: 'pg',
        latency,
        target: note.latency,
        ...key(kind === 'echo' ? 'echo-latency' : null),
      },
      {
        scenario: 'base',
        name: `${q.name}: ${body}, ${THROUGHPUT_WINDOW} in flight`,
        db: 'pg',
        value: { amount: rate, unit: 'jobs/s' },
        target: note.throughput,
        ...key(kind === 'echo' ? 'echo-throughput' : 'noop-throughput'),
      },
    )
    data[kind] = {
      latency,
      throughput: { jobs: done, ms, perSec: rate, window: THROUGHPUT_WINDOW },
    }
  }
  return { rows, data }
}

/** The installed version of a dependency, for the results. */
export function packageVersion(name: string): string {
  const path = resolve(import.meta.dirname, '../../../node_modules', name, 'package.json')
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version
}
