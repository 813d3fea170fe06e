/**
 * B10: log line → WebSocket client latency. The `loglines` step prints `T <epoch ms>` lines
 * every few milliseconds once a marker file exists; the bench opens the job's log stream,
 * creates the marker when the first message (the backfilled start line) arrives, and takes
 * receive time minus printed time for each line. Both clocks are this machine's wall clock
 * (performance.timeOrigin + performance.now()), so the difference is meaningful to ~0.1 ms.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import type { BenchContext, ScenarioResult } from '../context.ts'
import type { DbKind } from '../options.ts'
import { judge } from '../report.ts'
import { summarize } from '../stats.ts'
import type { WeirUnderTest } from '../weir-harness.ts'

const INTERVAL_MS = 5
const JOB_TIMEOUT_MS = 30_000

function wallNow(): number {
  return performance.timeOrigin + performance.now()
}

/** Streams one job's log; resolves with the latency of every timed line once the stream ends. */
function streamOne(weir: WeirUnderTest, jobId: string, marker: string): Promise<number[]> {
  const latencies: number[] = []
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${weir.base.replace('http', 'ws')}/api/jobs/${jobId}/logs/stream`)
    const timer = setTimeout(() => {
      ws.terminate()
      reject(new Error(`B10: job ${jobId} did not end within ${JOB_TIMEOUT_MS} ms`))
    }, JOB_TIMEOUT_MS)
    let first = true
    ws.on('message', (data: Buffer) => {
      const at = wallNow()
      if (first) {
        first = false
        writeFileSync(marker, '')
      }
      const msg = JSON.parse(data.toString()) as { line?: string; type?: string }
      if (typeof msg.line === 'string' && msg.line.startsWith('T ')) {
        latencies.push(at - Number(msg.line.slice(2)))
      }
    })
    ws.on('close', () => {
      clearTimeout(timer)
      resolve(latencies)
    })
    ws.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
  })
}

export async function runB10(
  ctx: BenchContext,
  db: DbKind,
  weir: WeirUnderTest,
): Promise<ScenarioResult> {
  const dir = mkdtempSync(join(tmpdir(), 'weir-bench-b10-'))
  const jobs = ctx.quick ? 1 : 5
  const lines = ctx.quick ? 200 : 400
  const all: number[] = []
  try {
    for (let i = 0; i < jobs; i++) {
      const marker = join(dir, `go-${i}`)
      const jobId = await weir.execute('loglines', { marker, lines, interval_ms: INTERVAL_MS })
      all.push(...(await streamOne(weir, jobId, marker)))
      const end = await weir.finished(jobId)
      if (end.status !== 'completed') throw new Error(`B10: job ${jobId} ended ${end.status}`)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  ctx.progress(`B10 ${db}: ${all.length} lines over ${jobs} job(s)`)
  const s = summarize(all)
  return {
    rows: [
      {
        scenario: 'B10',
        name: `log line printed → ws client (every ${INTERVAL_MS} ms)${all.length < jobs * lines ? `, ${jobs * lines - all.length} lost` : ''}`,
        db,
        latency: s,
        target: 'p50 ≤ 5 ms, p99 ≤ 25 ms',
        met: judge(db, s.p50 <= 5 && s.p99 <= 25),
      },
    ],
    data: {
      latency: s,
      jobs,
      linesPerJob: lines,
      linesReceived: all.length,
      intervalMs: INTERVAL_MS,
    },
  }
}
