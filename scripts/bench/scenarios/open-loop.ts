/**
 * B5: sustained executions per second with real shell steps, open loop. Each load level sends
 * `echo1` executions on a fixed schedule whatever the server does, and times each one from its
 * scheduled send to `job.finished` (so a stalled server cannot hide its backlog). Levels go up
 * until p99 exceeds 250 ms; the result is the highest level that held.
 */
import type { BenchContext, ScenarioResult } from '../context.ts'
import { sleep, within } from '../context.ts'
import type { DbKind } from '../options.ts'
import { judge, type Row } from '../report.ts'
import { stepHeld, summarize, sustainedRate, type RateStep, type Summary } from '../stats.ts'
import type { WeirUnderTest } from '../weir-harness.ts'

const LIMIT_MS = 250
const TARGET_RATE = 200
/** A level whose backlog exceeds this many seconds of sends has already failed: stop sending. */
const BACKLOG_SECS = 0.5
const DRAIN_MS = 30_000

interface Level extends RateStep {
  readonly latency: Summary
  readonly stoppedEarly: boolean
}

async function offer(weir: WeirUnderTest, rate: number, ms: number): Promise<Level> {
  const planned = Math.round((rate * ms) / 1000)
  const latencies: number[] = []
  const pending: Array<Promise<void>> = []
  let inFlight = 0
  let stoppedEarly = false
  const one = async (scheduled: number) => {
    inFlight++
    try {
      const end = await weir.finished(await weir.execute('echo1'))
      if (end.status === 'completed') latencies.push(end.at - scheduled)
    } catch {
      // Counted as not completed.
    } finally {
      inFlight--
    }
  }
  const start = performance.now()
  let sent = 0
  while (sent < planned) {
    const due = Math.min(planned, Math.floor(((performance.now() - start) * rate) / 1000) + 1)
    for (; sent < due; sent++) pending.push(one(start + (sent * 1000) / rate))
    if (inFlight > Math.max(10, rate * BACKLOG_SECS)) {
      stoppedEarly = true
      break
    }
    await sleep(2)
  }
  await within(Promise.all(pending), DRAIN_MS)
  const latency = summarize(latencies)
  return {
    rate,
    offered: planned,
    completed: latencies.length,
    p99: latency.p99,
    latency,
    stoppedEarly,
  }
}

export async function runB5(
  ctx: BenchContext,
  db: DbKind,
  weir: WeirUnderTest,
): Promise<ScenarioResult> {
  const ladder = ctx.quick ? [100, 200, 300, 400] : [100, 200, 300, 400, 500, 600, 800]
  const levelMs = ctx.quick ? 1500 : 5000
  const levels: Level[] = []
  for (const rate of ladder) {
    const level = await offer(weir, rate, levelMs)
    levels.push(level)
    ctx.progress(
      `B5 ${db}: ${rate}/s → ${level.completed}/${level.offered} done, p99 ${level.p99.toFixed(0)} ms` +
        (level.stoppedEarly ? ' (backlog: stopped sending)' : ''),
    )
    if (!stepHeld(level, LIMIT_MS)) break
  }
  const best = sustainedRate(levels, LIMIT_MS)
  const rows: Row[] = [
    {
      scenario: 'B5',
      name: `open loop: highest rate with p99 ≤ ${LIMIT_MS} ms${best === null ? ' (none held)' : ''}`,
      db,
      value: { amount: best ?? 0, unit: 'exec/s' },
      target: `≥ ${TARGET_RATE} exec/s`,
      met: judge(db, (best ?? 0) >= TARGET_RATE),
    },
    ...levels.map((l): Row => ({
      scenario: 'B5',
      name: `  at ${l.rate}/s for ${levelMs / 1000} s (${l.completed}/${l.offered} done)`,
      db,
      latency: l.latency,
      target: `p99 ≤ ${LIMIT_MS} ms`,
      met: stepHeld(l, LIMIT_MS),
    })),
  ]
  return { rows, data: { limitMs: LIMIT_MS, levelMs, sustained: best, levels } }
}
