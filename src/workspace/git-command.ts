/**
 * Runs the system `git` binary for git workspaces and libraries: no shell, no prompts (a missing
 * credential fails at once instead of waiting on a terminal), a time limit, and credentials passed
 * through the environment so they never appear in a process list or an error message.
 */
import { spawn } from 'node:child_process'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Readable } from 'node:stream'

/** How git authenticates to a remote (server config `git_auth`, STROEM-REFERENCE.md §11.2). */
export type GitAuth =
  | { readonly type: 'token'; readonly token: string; readonly username: string }
  | { readonly type: 'ssh_key'; readonly keyPath: string | null; readonly key: string | null }

export class GitCommandError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'GitCommandError'
  }
}

export interface GitRunner {
  /** Runs git and returns its stdout; rejects with GitCommandError naming the command and stderr. */
  run(args: ReadonlyArray<string>, opts?: { cwd?: string }): Promise<string>
  /** Runs git with stdout handed to `consume` as a stream (`git archive`). */
  stream(args: ReadonlyArray<string>, consume: (out: Readable) => Promise<void>): Promise<void>
}

export interface GitRunnerOptions {
  /** The environment git runs with (PATH, HOME, proxies); prompts are switched off on top. */
  readonly env: Readonly<Record<string, string | undefined>>
  readonly auth: GitAuth | null
  /** Where an inline SSH key is written (mode 0600) for ssh to read. */
  readonly keyDir: string
  readonly timeoutMs: number
}

/** The variables that make git authenticate with `auth` and never prompt. */
export function gitAuthEnv(auth: GitAuth | null, keyFile: string | null): Record<string, string> {
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0', GCM_INTERACTIVE: 'never' }
  if (auth?.type === 'token') {
    const basic = Buffer.from(`${auth.username}:${auth.token}`).toString('base64')
    env.GIT_CONFIG_COUNT = '1'
    env.GIT_CONFIG_KEY_0 = 'http.extraHeader'
    env.GIT_CONFIG_VALUE_0 = `Authorization: Basic ${basic}`
  } else if (auth?.type === 'ssh_key') {
    const key = keyFile ?? auth.keyPath
    const identity = key ? ` -i '${key.replaceAll("'", "'\\''")}' -o IdentitiesOnly=yes` : ''
    env.GIT_SSH_COMMAND = `ssh${identity} -o BatchMode=yes -o StrictHostKeyChecking=accept-new`
  }
  return env
}

/** What git printed on stderr, shortened, with the credential masked in case git echoed it. */
export function describeGitFailure(stderr: string, auth: GitAuth | null): string {
  let text = stderr.trim()
  if (auth?.type === 'token' && auth.token !== '') text = text.replaceAll(auth.token, '******')
  const lines = text.split('\n').filter((l) => l.trim() !== '')
  return lines.slice(-4).join('; ') || 'no error output'
}

export function createGitRunner(o: GitRunnerOptions): GitRunner {
  let keyFile: string | null = null
  if (o.auth?.type === 'ssh_key' && o.auth.key) {
    mkdirSync(o.keyDir, { recursive: true, mode: 0o700 })
    keyFile = join(o.keyDir, 'ssh-key')
    const key = o.auth.key.endsWith('\n') ? o.auth.key : `${o.auth.key}\n`
    writeFileSync(keyFile, key, { mode: 0o600 })
    chmodSync(keyFile, 0o600)
  }
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(o.env)) if (v !== undefined) env[k] = v
  Object.assign(env, gitAuthEnv(o.auth, keyFile))

  function start(args: ReadonlyArray<string>, cwd: string | undefined) {
    const child = spawn('git', [...args], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: o.timeoutMs,
      killSignal: 'SIGKILL',
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 16_384) stderr += d.toString()
    })
    const done = new Promise<void>((resolvePromise, reject) => {
      child.on('error', (err) =>
        reject(new GitCommandError(`cannot run git (${err.message}); is git installed?`)),
      )
      child.on('close', (code, signal) => {
        if (code === 0) return resolvePromise()
        const what = `git ${args.find((a) => !a.startsWith('-')) ?? ''}`
        if (signal === 'SIGKILL') {
          return reject(new GitCommandError(`${what} took longer than ${o.timeoutMs / 1000}s`))
        }
        reject(new GitCommandError(`${what} failed: ${describeGitFailure(stderr, o.auth)}`))
      })
    })
    return { child, done }
  }

  return {
    async run(args, opts = {}) {
      const { child, done } = start(args, opts.cwd)
      const chunks: Buffer[] = []
      child.stdout.on('data', (d: Buffer) => chunks.push(d))
      await done
      return Buffer.concat(chunks).toString('utf8')
    },
    async stream(args, consume) {
      const { child, done } = start(args, undefined)
      const consumed = consume(child.stdout).catch((e: unknown) => {
        child.kill('SIGKILL')
        throw e
      })
      // Both settle before this returns; git's own failure says more than a cut-short stream.
      const [ran, read] = await Promise.allSettled([done, consumed])
      if (ran.status === 'rejected') throw ran.reason
      if (read.status === 'rejected') throw read.reason
    },
  }
}
