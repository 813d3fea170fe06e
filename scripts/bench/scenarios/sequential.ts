/**
 * B1 (1-step `echo`, one job at a time), B3 (20-step chain) and B4 (fan-out 1 → 50 → 1): client
 * time from the HTTP execute to the `job.finished` event, and the server's own timestamps.
 */
import type { BenchContext, ScenarioResult } from '../context.ts'
import { repeat } from '../context.ts'
import { judge, type Row } from '../report.ts'
import type { DbKind } from '../options.ts'
import { summarize } from '../stats.ts'
import { spanMs, type WeirUnderTest } from '../weir-harness.ts'

/** Server timestamps are read after the timed loop, for at most this many jobs. */
const DETAIL_SAMPLE = 100

async function serverTotals(weir: WeirUnderTest, jobIds: ReadonlyArray<string>): Promise<number[]> {
  const step = Math.max(1, Math.ceil(jobIds.length / DETAIL_SAMPLE))
  const out: number[] = []
  for (let i = 0; i < jobIds.length; i += step) {
    const d = await weir.detail(jobIds[i]!)
    out.push(spanMs(d.created_at, d.completed_at))
  }
  return out
}

export async function runB1(
  ctx: BenchContext,
  db: DbKind,
  weir: WeirUnderTest,
): Promise<ScenarioResult> {
  for (let i = 0; i < 20; i++) await weir.run('echo1')
  const client: number[] = []
  const ids: string[] = []
  const total = ctx.quick ? 100 : 1000
  await repeat({ count: total, maxMs: ctx.quick ? 3000 : 30_000, minCount: 30 }, async (i) => {
    const { ms, jobId } = await weir.run('echo1')
    client.push(ms)
    ids.push(jobId)
    if (i % 100 === 0) ctx.progress(`B1 ${db}: ${i}/${total}`)
  })
  const c = summarize(client)
  const s = summarize(await serverTotals(weir, ids))
  const rows: Row[] = [
    {
      scenario: 'B1',
      name: '1-step echo, client execute → finished',
      db,
      latency: c,
      target: 'p50 ≤ 10 ms, p99 ≤ 40 ms',
      met: judge(db, c.p50 <= 10 && c.p99 <= 40),
      compare: { key: 'echo-latency', system: 'weir' },
    },
    {
      scenario: 'B1',
      name: '1-step echo, server created → completed',
      db,
      latency: s,
      target: 'p50 ≤ 10 ms',
      met: judge(db, s.p50 <= 10),
    },
  ]
  return { rows, data: { client: c, server: s } }
}

export async function runB3(
  ctx: BenchContext,
  db: DbKind,
  weir: WeirUnderTest,
): Promise<ScenarioResult> {
  const totals: number[] = []
  const gaps: number[] = []
  const chains = ctx.quick ? 6 : 40
  await repeat({ count: chains, maxMs: ctx.quick ? 3000 : 30_000, minCount: 3 }, async () => {
    const { ms, jobId } = await weir.run('chain20')
    totals.push(ms)
    const started = (x: { started_at: string | null }) => Date.parse(x.started_at ?? '')
    const steps = [...(await weir.detail(jobId)).steps].sort((a, b) => started(a) - started(b))
    for (let k = 1; k < steps.length; k++)
      gaps.push(spanMs(steps[k - 1]!.completed_at, steps[k]!.started_at))
  })
  ctx.progress(`B3 ${db}: ${totals.length} chains`)
  const t = summarize(totals)
  const g = summarize(gaps)
  return {
    rows: [
      {
        scenario: 'B3',
        name: '20-step chain, total (client)',
        db,
        latency: t,
        target: 'p50 ≤ 200 ms',
        met: judge(db, t.p50 <= 200),
      },
      {
        scenario: 'B3',
        name: 'chain step i finished → i+1 started',
        db,
        latency: g,
        target: 'p50 ≤ 5 ms',
        met: judge(db, g.p50 <= 5),
      },
    ],
    data: { total: t, perStep: g },
  }
}

export async function runB4(
  ctx: BenchContext,
  db: DbKind,
  weir: WeirUnderTest,
): Promise<ScenarioResult> {
  const client: number[] = []
  const ids: string[] = []
  const jobs = ctx.quick ? 3 : 30
  await weir.run('fanout50')
  await repeat({ count: jobs, maxMs: ctx.quick ? 3000 : 30_000, minCount: 2 }, async () => {
    const { ms, jobId } = await weir.run('fanout50')
    client.push(ms)
    ids.push(jobId)
  })
  ctx.progress(`B4 ${db}: ${client.length} fan-out jobs`)
  const c = summarize(client)
  const s = summarize(await serverTotals(weir, ids))
  return {
    rows: [
      {
        scenario: 'B4',
        name: 'fan-out 1 → 50 → 1, total (client)',
        db,
        latency: c,
        target: 'p50 ≤ 300 ms',
        met: judge(db, c.p50 <= 300),
      },
      { scenario: 'B4', name: 'fan-out 1 → 50 → 1, server created → completed', db, latency: s },
    ],
    data: { client: c, server: s, parallelSteps: 50 },
  }
}
