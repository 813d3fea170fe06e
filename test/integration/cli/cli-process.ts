/** `weir` as a child process, the way a person or a script runs it: real stdio, no terminal. */
import { spawn, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'
import { waitFor } from '../../helpers/wait-for.ts'

export const ROOT = resolve(import.meta.dirname, '../../..')

export interface WeirRun {
  readonly child: ChildProcess
  readonly stdout: () => string
  readonly stderr: () => string
  /** Resolves when the process has exited, with its code (null after a signal). */
  readonly done: Promise<{ code: number | null; stdout: string; stderr: string }>
  /** Waits until stdout or stderr contains `text` (or the process exits without it). */
  waitForOutput(text: string | RegExp, timeoutMs?: number): Promise<void>
}

export function startWeir(args: ReadonlyArray<string>, env: Record<string, string> = {}): WeirRun {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(ROOT, 'src/main.ts'), ...args],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let stdout = ''
  let stderr = ''
  let exited = false
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((res, rej) => {
    child.on('error', rej)
    child.on('close', (code) => {
      exited = true
      res({ code, stdout, stderr })
    })
  })
  const has = (text: string | RegExp) => {
    const all = stdout + stderr
    return typeof text === 'string' ? all.includes(text) : text.test(all)
  }
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    done,
    async waitForOutput(text, timeoutMs = 20_000) {
      await waitFor(
        () => {
          if (has(text)) return true
          if (exited) throw new Error(`weir exited first:\n${stdout}\n${stderr}`)
          return false
        },
        { timeoutMs, intervalMs: 20, what: `weir to print ${String(text)}` },
      )
    },
  }
}

/** Runs `weir` to the end. */
export function weir(
  args: ReadonlyArray<string>,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return startWeir(args, env).done
}
