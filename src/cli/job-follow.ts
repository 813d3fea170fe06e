/**
 * Following a job the CLI started (`weir run --follow`, `weir retry --follow`, `run --local`):
 * its log as it is written, a progress line on a terminal, Ctrl-C offering to cancel the job,
 * and an exit status from the job's end: 0 completed, 1 failed or cancelled.
 *
 * Ctrl-C on a terminal asks `cancel job <id>? [y/N]`; without one (a script, CI), the first
 * Ctrl-C cancels the job and following goes on until it has stopped. Another Ctrl-C while asking
 * or after the cancel stops following at once: exit 130 (SIGTERM: 143), the job left as it is.
 */
import { createInterface, type Interface } from 'node:readline'
import { monotonicMs } from '../shared/clock.ts'
import { assertNever, coerceError } from '../shared/errors.ts'
import { ApiError, seg, type ApiClient, type JobDetailDto } from './api-client.ts'
import type { Output } from './client-command.ts'
import { followJobLog } from './log-follow.ts'
import { formatJobEnd, formatLogLine, formatProgress, paintStatus } from './output-format.ts'
import { ProgressLine } from './progress-line.ts'
import { onInterrupt } from './signals.ts'

export const EXIT_INTERRUPTED = 130
export const EXIT_TERMINATED = 143
const PROGRESS_EVERY_MS = 1000

export type InterruptAction = 'ask' | 'cancel' | 'exit'

/** What a signal does, given where the conversation is. */
export function interruptAction(state: {
  readonly signal: 'SIGINT' | 'SIGTERM'
  readonly interactive: boolean
  readonly asking: boolean
  readonly cancelRequested: boolean
}): InterruptAction {
  if (state.signal === 'SIGTERM' || state.asking || state.cancelRequested) return 'exit'
  return state.interactive ? 'ask' : 'cancel'
}

/** A yes to `[y/N]`: y or yes, any case; anything else (an empty line too) is no. */
export function isYes(answer: string): boolean {
  return /^\s*y(es)?\s*$/i.test(answer)
}

export interface FollowJobOptions {
  readonly client: ApiClient
  readonly jobId: string
  readonly io: Output
}

export async function followJob(o: FollowJobOptions): Promise<number> {
  const { client, jobId, io } = o
  const jobPath = `/api/jobs/${seg(jobId)}`
  // With --json, stdout is kept for the final document: the log goes to stderr.
  const logStream = io.json ? io.stderr : io.stdout
  const logColor = io.json ? io.errColor : io.color
  const progress = new ProgressLine(io.stderr, io.progress)
  const abort = new AbortController()
  let exitCode = EXIT_INTERRUPTED
  let asking = false
  let cancelRequested = false
  let prompt: Interface | null = null
  const held: string[] = []

  const write = (stream: NodeJS.WriteStream, text: string) =>
    progress.around(() => stream.write(`${text}\n`))
  const note = (text: string) => write(io.stderr, text)
  const onLine = (text: string) => {
    const line = formatLogLine(text, logColor)
    if (asking) held.push(line)
    else write(logStream, line)
  }
  const endAsking = () => {
    asking = false
    prompt?.close()
    prompt = null
    for (const line of held.splice(0)) write(logStream, line)
  }

  const cancel = async () => {
    cancelRequested = true
    try {
      const res = await client.post<{ status: string }>(`${jobPath}/cancel`)
      note(
        res.body.status === 'cancelled'
          ? `job ${jobId} cancelled`
          : `cancel requested: waiting for the running steps of job ${jobId} to stop (Ctrl-C again to stop waiting)`,
      )
    } catch (e) {
      // 409: the job finished meanwhile; its end arrives on the stream.
      if (e instanceof ApiError && e.status === 409) note(`weir: ${e.message}`)
      else note(`weir: could not cancel job ${jobId}: ${coerceError(e).message}`)
    }
  }

  const ask = () => {
    asking = true
    progress.clear()
    const rl = createInterface({ input: process.stdin, output: io.stderr, terminal: false })
    prompt = rl
    let answered = false
    rl.question(`cancel job ${jobId}? [y/N] `, (answer) => {
      answered = true
      endAsking()
      if (isYes(answer)) void cancel()
      else note('still following (Ctrl-C to ask again)')
    })
    // End of input counts as no.
    rl.once('close', () => {
      if (!answered && prompt === rl) endAsking()
    })
  }

  const removeSignals = onInterrupt((signal) => {
    const action = interruptAction({ signal, interactive: io.interactive, asking, cancelRequested })
    switch (action) {
      case 'ask':
        return ask()
      case 'cancel':
        note(`cancelling job ${jobId} (Ctrl-C again to stop waiting)`)
        return void cancel()
      case 'exit':
        exitCode = signal === 'SIGTERM' ? EXIT_TERMINATED : EXIT_INTERRUPTED
        return abort.abort()
      default:
        return assertNever(action, 'interrupt action')
    }
  })

  const started = monotonicMs()
  let polling = false
  const poll = async () => {
    if (polling) return
    polling = true
    try {
      const job = (await client.get<JobDetailDto>(jobPath)).body
      if (!asking && !abort.signal.aborted) {
        progress.show(formatProgress(job, monotonicMs() - started, { color: io.errColor, jobId }))
      }
    } catch {
      // The display only: the stream reports real failures.
    } finally {
      polling = false
    }
  }
  const timer = io.progress ? setInterval(() => void poll(), PROGRESS_EVERY_MS) : null
  if (io.progress) void poll()

  try {
    const end = await followJobLog({ client, jobId, onLine, signal: abort.signal })
    if (timer) clearInterval(timer)
    endAsking()
    progress.clear()
    const detail = await client.get<JobDetailDto>(jobPath).then(
      (r) => r.body,
      () => null,
    )
    if (end === null) {
      const state = cancelRequested ? 'its cancel was requested' : 'it keeps running'
      io.err(`stopped following job ${jobId}; ${state} (weir job ${jobId})`)
      if (io.json && detail) io.document(detail)
      return exitCode
    }
    if (io.json) io.document(detail ?? { job_id: jobId, status: end.status })
    else if (detail) io.out(formatJobEnd(detail, { color: io.color }))
    else io.out(`job ${jobId} ${paintStatus(end.status, io.color)}`)
    return end.status === 'completed' ? 0 : 1
  } finally {
    if (timer) clearInterval(timer)
    removeSignals()
    endAsking()
    progress.clear()
  }
}
