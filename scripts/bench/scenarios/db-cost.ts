/**
 * B7 (PostgreSQL only): database commits and statements per 1-step execution and per extra
 * step. Each phase starts a server on its own database through a counting proxy, runs jobs one
 * after another, stops the server and reads pg_stat_database.xact_commit once every session has
 * ended (an idle backend flushes its counters only every 10 s; an exiting one at once). An idle
 * phase (start and stop, no job) is subtracted, so start-up and shut-down cancel out; background
 * loops (the 1 s lease sweep) do only in part, since busy phases last longer. Autovacuum is off
 * on this database's tables, so its transactions are not counted as the server's.
 *
 * xact_commit counts every transaction: BEGIN…COMMIT blocks, single statements (each its own
 * transaction, reads included) and the short transaction in which a listening session reads the
 * notifications it was sent, which never shows on the wire. The wire breakdown tells them apart.
 */
import type pg from 'pg'
import type { BenchContext, ScenarioResult } from '../context.ts'
import { repeat } from '../context.ts'
import {
  disableAutovacuum,
  freshDatabase,
  settledCommits,
  statementCalls,
  withAdmin,
} from '../pg-admin.ts'
import { judge, type Row } from '../report.ts'
import { startWeir } from '../weir-harness.ts'
import { startWireCounter, type WireCounter } from '../wire-counter.ts'

const DB_NAME = 'weir_bench_b7'
const COUNTED = ['commits', 'statements', 'blocks', 'singles', 'pssCalls'] as const
type Counted = (typeof COUNTED)[number]
type Cost = Record<Counted, number>

interface PhaseCost extends Cost {
  readonly jobs: number
  readonly ms: number
}

async function phase(
  admin: pg.Client,
  proxy: WireCounter,
  pss: boolean,
  run: { task: string; jobs: number; maxMs: number },
): Promise<PhaseCost> {
  const before = await settledCommits(admin, DB_NAME)
  const pssBefore = pss ? await statementCalls(DB_NAME) : NaN
  proxy.reset()
  const t0 = performance.now()
  const weir = await startWeir({ dbUrl: proxy.url })
  const limits = { count: run.jobs, maxMs: run.maxMs, minCount: Math.min(run.jobs, 3) }
  const jobs = await repeat(limits, () => weir.run(run.task).then(() => undefined)).finally(() =>
    weir.stop(),
  )
  const after = await settledCommits(admin, DB_NAME)
  const wire = proxy.counts
  return {
    jobs,
    ms: performance.now() - t0,
    commits: after - before,
    statements: wire.simpleQueries + wire.executes,
    blocks: wire.explicitTransactions,
    singles: wire.singleStatementTransactions,
    pssCalls: pss ? (await statementCalls(DB_NAME)) - pssBefore : NaN,
  }
}

/** Per execution of `one` and per extra step of `chain` (a 20-step chain), minus `idle`. */
function unitCosts(idle: PhaseCost, one: PhaseCost, chain: PhaseCost) {
  const perExecution = {} as Cost
  const perExtraStep = {} as Cost
  for (const k of COUNTED) {
    perExecution[k] = (one[k] - idle[k]) / one.jobs
    perExtraStep[k] = ((chain[k] - idle[k]) / chain.jobs - perExecution[k]) / 19
  }
  return { perExecution, perExtraStep }
}

function costRows(unit: string, c: Cost, budget: number): Row[] {
  const other = c.commits - c.blocks - c.singles
  const rows: Row[] = [
    {
      scenario: 'B7',
      name: `commits per ${unit} (xact_commit)`,
      db: 'pg',
      value: { amount: c.commits, unit: 'commits' },
      target: `≤ ${budget} (ARCHITECTURE §2)`,
      met: judge('pg', c.commits <= budget + 0.05),
    },
    {
      scenario: 'B7',
      name: `  ${c.blocks.toFixed(1)} BEGIN…COMMIT, ${c.singles.toFixed(1)} single stmt, ${other.toFixed(1)} LISTEN reads`,
      db: 'pg',
    },
    {
      scenario: 'B7',
      name: `statements per ${unit} (wire)`,
      db: 'pg',
      value: { amount: c.statements, unit: 'stmts' },
    },
  ]
  if (Number.isFinite(c.pssCalls)) {
    rows.push({
      scenario: 'B7',
      name: `pg_stat_statements calls per ${unit}`,
      db: 'pg',
      value: { amount: c.pssCalls, unit: 'calls' },
    })
  }
  return rows
}

export async function runB7(ctx: BenchContext, pssLoaded: boolean): Promise<ScenarioResult> {
  const url = await freshDatabase(DB_NAME)
  const proxy = await startWireCounter(url)
  try {
    return await withAdmin(async (admin) => {
      ctx.progress('B7 pg: migrating, then idle / 1-step / 20-step phases')
      await phase(admin, proxy, false, { task: 'echo1', jobs: 0, maxMs: 0 })
      await disableAutovacuum(DB_NAME)
      const idle = await phase(admin, proxy, pssLoaded, { task: 'echo1', jobs: 0, maxMs: 0 })
      const one = await phase(admin, proxy, pssLoaded, {
        task: 'echo1',
        jobs: ctx.quick ? 50 : 500,
        maxMs: ctx.quick ? 5000 : 30_000,
      })
      const chain = await phase(admin, proxy, pssLoaded, {
        task: 'chain20',
        jobs: ctx.quick ? 3 : 25,
        maxMs: ctx.quick ? 5000 : 30_000,
      })
      const { perExecution, perExtraStep } = unitCosts(idle, one, chain)
      return {
        rows: [
          ...costRows('1-step execution', perExecution, 4),
          ...costRows('extra step', perExtraStep, 2),
        ],
        data: {
          phases: { idle, oneStep: one, chain20: chain },
          perExecution,
          perExtraStep,
          statementsSource: pssLoaded
            ? 'pg_stat_statements and the wire'
            : 'the wire (pg_stat_statements is not preloaded)',
        },
      }
    })
  } finally {
    await proxy.close()
  }
}
