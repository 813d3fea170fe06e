/**
 * `weir logs <job-id>`: print a job's log, or follow it live over the WebSocket stream until the
 * job ends (API.md §6). Exit status: 0 when the log was printed (with --follow: the job completed),
 * 1 when the job failed or was cancelled, or on any error.
 */
import { parseArgs } from 'node:util'
import { WebSocket } from 'ws'
import type { RawData } from 'ws'
import { tryParse } from '../config-args.ts'
import type { Command, CommandContext } from '../index.ts'

const OPTIONS = {
  follow: { type: 'boolean', short: 'f' },
  server: { type: 'string', short: 's' },
  'after-seq': { type: 'string' },
  step: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

/** Close codes after which the stream may be resumed with after_seq (API.md §6.3). */
const RESUMABLE = new Set([1001, 1006, 1011, 1013])
const MAX_RETRIES = 3

interface LogsOptions {
  readonly server: string
  readonly jobId: string
  readonly afterSeq: number
  readonly step: string | undefined
  readonly json: boolean
  readonly color: boolean
  readonly apiKey: string | undefined
}

interface StreamEnd {
  readonly status: string
  readonly lastSeq: number
}

export const logsCommand: Command = {
  summary:
    "Print a job's log (time, step, stream, line), or raw JSONL with --json.\n" +
    'With --follow, stream it live until the job ends; exit 0 if it completed, 1 otherwise.\n' +
    'Server: --server, else WEIR_SERVER, else http://localhost:8080; API key: WEIR_API_KEY.',
  usage: 'weir logs <job-id> [--follow] [--server URL] [--after-seq N] [--step NAME] [--json]',
  async run(ctx) {
    const opts = parseOptions(ctx)
    if (!opts) return 1
    try {
      return opts.follow ? await follow(opts) : await printStored(opts)
    } catch (e) {
      console.error(`weir logs: ${(e as Error).message}`)
      return 1
    }
  },
}

function parseOptions(ctx: CommandContext): (LogsOptions & { follow: boolean }) | null {
  const args = tryParse(() =>
    parseArgs({ args: [...ctx.argv], options: OPTIONS, allowPositionals: true, strict: true }),
  )
  if (!args) return null
  const [jobId, ...extra] = args.positionals
  if (jobId === undefined || extra.length > 0) {
    console.error(`usage: ${logsCommand.usage}`)
    return null
  }
  const rawSeq = args.values['after-seq'] ?? '0'
  if (!/^\d+$/.test(rawSeq)) {
    console.error(`--after-seq must be an integer >= 0, got '${rawSeq}'`)
    return null
  }
  const server = (args.values.server ?? ctx.env.WEIR_SERVER ?? 'http://localhost:8080').replace(
    /\/+$/,
    '',
  )
  return {
    server,
    jobId,
    afterSeq: Number(rawSeq),
    step: args.values.step,
    json: args.values.json ?? false,
    follow: args.values.follow ?? false,
    color: process.stdout.isTTY === true && ctx.env.NO_COLOR === undefined,
    apiKey: ctx.env.WEIR_API_KEY,
  }
}

function authHeaders(o: LogsOptions): Record<string, string> {
  return o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {}
}

async function printStored(o: LogsOptions): Promise<number> {
  const id = encodeURIComponent(o.jobId)
  const route =
    o.step === undefined
      ? `/api/jobs/${id}/logs`
      : `/api/jobs/${id}/steps/${encodeURIComponent(o.step)}/logs`
  const res = await fetch(`${o.server}${route}?after_seq=${o.afterSeq}`, {
    headers: authHeaders(o),
  })
  const body = (await res.json().catch(() => null)) as {
    logs?: string
    error?: string
  } | null
  if (!res.ok) {
    console.error(`weir logs: ${res.status} ${body?.error ?? res.statusText}`)
    return 1
  }
  for (const text of (body?.logs ?? '').split('\n')) if (text !== '') printLine(text, o)
  return 0
}

async function follow(o: LogsOptions): Promise<number> {
  let afterSeq = o.afterSeq
  let retries = 0
  for (;;) {
    const before = afterSeq
    const outcome = await streamOnce(o, afterSeq, (seq) => (afterSeq = seq))
    if ('end' in outcome) return reportEnd(o, outcome.end)
    if (!RESUMABLE.has(outcome.code)) throw new Error(outcome.reason)
    retries = afterSeq > before ? 0 : retries + 1
    if (retries > MAX_RETRIES) throw new Error(`stream closed (${outcome.code}), giving up`)
    await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** Math.min(retries, 4)))
  }
}

function reportEnd(o: LogsOptions, end: StreamEnd): number {
  const text = `job ${o.jobId} ${end.status} (last_seq ${end.lastSeq})`
  if (o.json) console.error(text)
  else console.log(o.color ? paint(end.status === 'completed' ? '32' : '31', text) : text)
  return end.status === 'completed' ? 0 : 1
}

type StreamOutcome = { end: StreamEnd } | { code: number; reason: string }

/** One WebSocket session: prints lines, reports the last seq seen, settles when it closes. */
function streamOnce(
  o: LogsOptions,
  afterSeq: number,
  onSeq: (seq: number) => void,
): Promise<StreamOutcome> {
  const url = new URL(`${o.server}/api/jobs/${encodeURIComponent(o.jobId)}/logs/stream`)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  url.searchParams.set('after_seq', String(afterSeq))
  if (o.step !== undefined) url.searchParams.set('step', o.step)
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers: authHeaders(o) })
    let end: StreamEnd | undefined
    ws.on('message', (data) => {
      const text = rawText(data)
      const msg = parseMessage(text)
      if (msg?.type === 'end') end = { status: String(msg.status), lastSeq: Number(msg.last_seq) }
      else if (msg?.type === undefined) {
        printLine(text, o)
        if (typeof msg?.seq === 'number') onSeq(msg.seq)
      }
    })
    ws.on('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => {
        const error = (parseMessage(body)?.error as string | undefined) ?? res.statusMessage
        resolve({ code: 0, reason: `${res.statusCode} ${error}` })
        ws.terminate()
      })
    })
    ws.on('error', (e) => resolve({ code: 1006, reason: e.message }))
    ws.on('close', (code, reason) =>
      resolve(end ? { end } : { code, reason: reason.toString() || `closed (${code})` }),
    )
  })
}

function rawText(d: RawData): string {
  if (Array.isArray(d)) return Buffer.concat(d).toString('utf8')
  return Buffer.isBuffer(d) ? d.toString('utf8') : Buffer.from(d).toString('utf8')
}

function parseMessage(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text)
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

function printLine(text: string, o: LogsOptions): void {
  if (o.json) console.log(text)
  else console.log(formatLogLine(text, o.color))
}

const STEP_COLOURS = ['36', '33', '35', '34', '32', '96', '93', '95']

function paint(code: string, text: string): string {
  return `\u001b[${code}m${text}\u001b[0m`
}

function stepColour(step: string): string {
  let h = 0
  for (const ch of step) h = (h * 31 + ch.charCodeAt(0)) >>> 0
  return STEP_COLOURS[h % STEP_COLOURS.length]!
}

/** `<UTC time> <step> <out|err> <line>`; colours: step by name, stderr red, `_server` dim. */
export function formatLogLine(text: string, color: boolean): string {
  const msg = parseMessage(text)
  if (!msg) return text
  const ts = typeof msg.ts === 'string' ? msg.ts.slice(11, 23) : ''
  const step = typeof msg.step === 'string' ? msg.step : ''
  const marker = msg.stream === 'stderr' ? 'err' : 'out'
  const line = typeof msg.line === 'string' ? msg.line : ''
  if (!color) return `${ts} ${step.padEnd(12)} ${marker} ${line}`
  if (step === '_server') return paint('2', `${ts} ${step.padEnd(12)} ${marker} ${line}`)
  const body = marker === 'err' ? paint('31', `${marker} ${line}`) : `${marker} ${line}`
  return `${paint('2', ts)} ${paint(stepColour(step), step.padEnd(12))} ${body}`
}
