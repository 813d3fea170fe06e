/** Shared bits of the executor tests: waiting on conditions, process liveness, a base env. */
import { readFileSync } from 'node:fs'
import { monotonicMs } from '../../../src/shared/clock.ts'
import { createDirectLauncher } from '../../../src/runner/executors/process-launcher.ts'
import type {
  LauncherOptions,
  ProcessLauncher,
} from '../../../src/runner/executors/process-launcher.ts'
import { runScript } from '../../../src/runner/executors/script-executor.ts'
import type {
  ExecLine,
  ExecRequest,
  ExecResult,
} from '../../../src/runner/executors/script-executor.ts'
import {
  createSpawnerLauncher,
  probePythonSpawner,
} from '../../../src/runner/executors/spawner-launcher.ts'

/** Polls `predicate` until it holds; fails after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  opts: { timeoutMs?: number; what?: string } = {},
): Promise<void> {
  const deadline = monotonicMs() + (opts.timeoutMs ?? 5000)
  while (!(await predicate())) {
    if (monotonicMs() > deadline)
      throw new Error(`timed out waiting for ${opts.what ?? 'a condition'}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** True while `pid` exists and is not a zombie (an unreaped exited process). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

export const baseEnv: Readonly<Record<string, string>> = Object.freeze({
  PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
  HOME: process.env.HOME ?? '/tmp',
  LANG: 'C.UTF-8',
})

const pythonPath = probePythonSpawner()

/** Every launcher this machine can run (the python helper needs python3 ≥ 3.9). */
export const launcherKinds: ReadonlyArray<{
  name: string
  make: (o?: LauncherOptions) => ProcessLauncher
}> = [
  { name: 'direct', make: (o?: LauncherOptions) => createDirectLauncher(o) },
  { name: 'node spawner', make: (o?: LauncherOptions) => createSpawnerLauncher(o) },
  ...(pythonPath
    ? [
        {
          name: 'python spawner',
          make: (o?: LauncherOptions) => createSpawnerLauncher({ ...o, pythonPath }),
        },
      ]
    : []),
]

/** The spawner helpers (node, and python when available). */
export const spawnerKinds = launcherKinds.filter((k) => k.name.endsWith('spawner'))

/** Runs a request, collecting every delivered line. */
export async function execute(
  launcher: ProcessLauncher,
  req: Partial<ExecRequest> & { cwd: string },
  opts: { signal?: AbortSignal; onLines?: (lines: ExecLine[]) => void } = {},
): Promise<{ result: ExecResult; lines: ExecLine[]; stdout: string[] }> {
  const lines: ExecLine[] = []
  const full: ExecRequest = {
    language: 'shell',
    interpreter: null,
    script: null,
    sourcePath: null,
    args: [],
    env: baseEnv,
    timeoutMs: null,
    ...req,
  }
  const result = await runScript(full, {
    signal: opts.signal ?? new AbortController().signal,
    launcher,
    onLines: (batch) => {
      lines.push(...batch)
      opts.onLines?.(batch)
    },
  })
  const stdout = lines.filter((l) => l.stream === 'stdout').map((l) => l.line)
  return { result, lines, stdout }
}
