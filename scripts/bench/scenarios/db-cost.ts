/**
 * B7 (PostgreSQL only): database commits and statements per 1-step execution and per extra
 * step. Each phase starts a server on its own database through a counting proxy, runs jobs one
 * after another, stops the server and reads pg_stat_database.xact_commit once every session has
 * ended (an idle backend flushes its counters only every 10 s; an exiting one at once). An idle
 * phase (start and stop, no job) is subtracted, so start-up and shut-down cancel out; background
 * loops (the 1 s lease sweep) do only in part, since busy phases last longer. Autovacuum is off
 * on this database's tables, so its transactions are not counted as the server's.
 */
import type { BenchContext, ScenarioResult } from '../context.ts'
import { judge, type Row } from '../report.ts'
import {
  disableAutovacuum,
  freshDatabase,
  settledCommits,
  statementCalls,
  withAdmin,
} from '../pg-admin.ts'
import { startWireCounter, type WireCounter } from '../wire-counter.ts'
import { startWeir } from '../weir-harness.ts'
import type pg from 'pg'

const DB_NAME = 'weir_bench_b7'

interface PhaseCost {
  readonly jobs: number
  readonly ms: number
  readonly commits: number
  readonly statements: number
  readonly explicitTransactions: number
  readonly singleStatementTransactions: number
  /** From pg_stat_statements, when it is loaded. */
  readonly pssCalls: number | null
}

async function phase(
  admin: pg.Client,
  proxy: WireCounter,
  pss: boolean,
  task: string,
  jobs: number,
): Promise<PhaseCost> {
  const before = await settledCommits(admin, DB_NAME)
  const pssBefore = pss ? await statementCalls(DB_NAME) : 0
  proxy.reset()
  const t0 = performance.now()
  const weir = await startWeir({ dbUrl: proxy.url })
  try {
    for (let i = 0; i < jobs; i++) await weir.run(task)
  } finally {
    await weir.stop()
  }
  const after = await settledCommits(admin, DB_NAME)
  const wire = proxy.counts
  return {
    jobs,
    ms: performance.now() - t0,
    commits: after - before,
    statements: wire.simpleQueries + wire.executes,
    explicitTransactions: wire.explicitTransactions,
    singleStatementTransactions: wire.singleStatementTransactions,
    pssCalls: pss ? (await statementCalls(DB_NAME)) - pssBefore : null,
  }
}

type Counted = 'commits' | 'statements' | 'explicitTransactions' | 'singleStatementTransactions'

function per(phase: PhaseCost, idle: PhaseCost, key: Counted): number {
  return (phase[key] - idle[key]) / phase.jobs
}

export async function runB7(ctx: BenchContext, pssLoaded: boolean): Promise<ScenarioResult> {
  const url = await freshDatabase(DB_NAME)
  const proxy = await startWireCounter(url)
  try {
    return await withAdmin(async (admin) => {
      ctx.progress('B7 pg: migrating, then idle / 1-step / 20-step phases')
      await phase(admin, proxy, false, 'echo1', 0)
      await disableAutovacuum(DB_NAME)
      const idle = await phase(admin, proxy, pssLoaded, 'echo1', 0)
      const one = await phase(admin, proxy, pssLoaded, 'echo1', ctx.quick ? 100 : 500)
      const chain = await phase(admin, proxy, pssLoaded, 'chain20', ctx.quick ? 5 : 25)
      const commitsOne = per(one, idle, 'commits')
      const commitsStep = (per(chain, idle, 'commits') - commitsOne) / 19
      const stmtsOne = per(one, idle, 'statements')
      const stmtsStep = (per(chain, idle, 'statements') - stmtsOne) / 19
      const explicitOne = per(one, idle, 'explicitTransactions')
      const singleOne = per(one, idle, 'singleStatementTransactions')
      const rows: Row[] = [
        {
          scenario: 'B7',
          name: 'commits per 1-step execution',
          db: 'pg',
          value: { amount: commitsOne, unit: 'commits' },
          target: '≤ 4 (ARCHITECTURE §2)',
          met: judge('pg', commitsOne <= 4.05),
        },
        {
          scenario: 'B7',
          name: `  on the wire: ${explicitOne.toFixed(1)} BEGIN…COMMIT + ${singleOne.toFixed(1)} single statements`,
          db: 'pg',
        },
        {
          scenario: 'B7',
          name: 'commits per extra step',
          db: 'pg',
          value: { amount: commitsStep, unit: 'commits' },
          target: '≤ 2',
          met: judge('pg', commitsStep <= 2.05),
        },
        {
          scenario: 'B7',
          name: 'statements per 1-step execution (wire)',
          db: 'pg',
          value: { amount: stmtsOne, unit: 'stmts' },
        },
        {
          scenario: 'B7',
          name: 'statements per extra step (wire)',
          db: 'pg',
          value: { amount: stmtsStep, unit: 'stmts' },
        },
      ]
      if (pssLoaded && one.pssCalls !== null && idle.pssCalls !== null) {
        rows.push({
          scenario: 'B7',
          name: 'pg_stat_statements calls per 1-step execution',
          db: 'pg',
          value: { amount: (one.pssCalls - idle.pssCalls) / one.jobs, unit: 'calls' },
        })
      }
      return {
        rows,
        data: {
          phases: { idle, oneStep: one, chain20: chain },
          perExecution: {
            commits: commitsOne,
            statements: stmtsOne,
            explicitTransactions: explicitOne,
            singleStatementTransactions: singleOne,
          },
          perExtraStep: { commits: commitsStep, statements: stmtsStep },
          statementsSource: pssLoaded
            ? 'pg_stat_statements and wire'
            : 'wire (pg_stat_statements not loaded)',
        },
      }
    })
  } finally {
    await proxy.close()
  }
}
