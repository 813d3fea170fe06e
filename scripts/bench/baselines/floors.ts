/**
 * The floors of one step and one transaction on this machine, measured in the same run: a bare
 * `sh -c 'echo hi'` through the launcher Weir uses by default (the python posix_spawn helper when
 * python3 is there, else the node helper), and a durable commit: one statement that writes a
 * transactional WAL record (pg_logical_emit_message, no table needed), so its COMMIT waits for
 * the WAL flush as every Weir write does (a temp-table insert would not: temp tables are not
 * WAL-logged, and a transaction that wrote no WAL commits without a flush).
 */
import { tmpdir } from 'node:os'
import pg from 'pg'
import {
  createSpawnerLauncher,
  probePythonSpawner,
} from '../../../src/runner/executors/spawner-launcher.ts'
import { runScript } from '../../../src/runner/executors/script-executor.ts'
import type { BenchContext, ScenarioResult } from '../context.ts'
import { repeat } from '../context.ts'
import { ADMIN_URL } from '../pg-admin.ts'
import { summarize } from '../stats.ts'

async function spawnFloor(ctx: BenchContext): Promise<number[]> {
  const launcher = createSpawnerLauncher({ pythonPath: probePythonSpawner() ?? undefined })
  const samples: number[] = []
  try {
    await repeat({ count: ctx.quick ? 200 : 500, maxMs: ctx.quick ? 2000 : 10_000 }, async () => {
      const t0 = performance.now()
      await runScript(
        {
          language: 'shell',
          interpreter: null,
          script: 'echo hi',
          sourcePath: null,
          args: [],
          cwd: tmpdir(),
          env: { PATH: process.env.PATH ?? '' },
          timeoutMs: null,
        },
        { signal: new AbortController().signal, onLines: () => undefined, launcher },
      )
      samples.push(performance.now() - t0)
    })
  } finally {
    await launcher.close()
  }
  return samples
}

async function commitFloor(ctx: BenchContext): Promise<number[]> {
  const c = new pg.Client({ connectionString: ADMIN_URL })
  await c.connect()
  const samples: number[] = []
  try {
    await repeat({ count: ctx.quick ? 300 : 1000, maxMs: ctx.quick ? 1500 : 10_000 }, async () => {
      const t0 = performance.now()
      await c.query("SELECT pg_logical_emit_message(true, 'weir-bench', 'x')")
      samples.push(performance.now() - t0)
    })
  } finally {
    await c.end()
  }
  return samples
}

export async function runFloors(ctx: BenchContext, withPg: boolean): Promise<ScenarioResult> {
  ctx.progress('floors: sh -c "echo hi" through the spawner; a durable commit')
  const spawn = summarize(await spawnFloor(ctx))
  const commit = withPg ? summarize(await commitFloor(ctx)) : null
  return {
    rows: [
      {
        scenario: 'base',
        name: 'floor: sh -c "echo hi" via the spawner',
        db: '-',
        latency: spawn,
        target: 'floor for one step',
      },
      ...(commit
        ? [
            {
              scenario: 'base',
              name: 'floor: one durable commit (1 statement)',
              db: 'pg' as const,
              latency: commit,
              target: 'floor for one transaction',
            },
          ]
        : []),
    ],
    data: { spawn, commit },
  }
}
