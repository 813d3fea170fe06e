/**
 * `weir logs <job-id>`: print a job's log, or follow it live over the WebSocket stream until the
 * job ends (API.md §6). Exit status: 0 when the log was printed (with --follow: the job completed),
 * 1 when the job failed or was cancelled, or on any error; 2 on bad usage.
 */
import { parseArgs } from 'node:util'
import { seg } from '../api-client.ts'
import { CLIENT_HELP, CLIENT_OPTIONS, connect, runClient, UsageError } from '../client-command.ts'
import type { Command } from '../index.ts'
import { followJobLog } from '../log-follow.ts'
import { formatLogLine, paintStatus } from '../output-format.ts'

const OPTIONS = {
  ...CLIENT_OPTIONS,
  follow: { type: 'boolean', short: 'f' },
  'after-seq': { type: 'string' },
  step: { type: 'string' },
} as const

const USAGE = 'weir logs <job-id> [--follow] [--after-seq N] [--step NAME] [--json]'

export const logsCommand: Command = {
  summary: `Print a job's log (time, step, stream, line), or raw JSONL with --json.
With --follow, stream it live until the job ends; exit 0 if it completed, 1 otherwise.

${CLIENT_HELP}`,
  usage: USAGE,
  run: (ctx) =>
    runClient(ctx, { name: 'logs', usage: USAGE }, async (io) => {
      const { values, positionals } = parseArgs({
        args: [...ctx.argv],
        options: OPTIONS,
        allowPositionals: true,
        strict: true,
      })
      const problems: string[] = []
      if (positionals.length !== 1) problems.push('expected one job id')
      const rawSeq = values['after-seq'] ?? '0'
      if (!/^\d+$/.test(rawSeq))
        problems.push(`--after-seq must be an integer >= 0, got '${rawSeq}'`)
      if (problems.length > 0) throw new UsageError(problems)
      const jobId = positionals[0]!
      const client = connect(values, ctx.env)
      // JSONL is many documents: --json here means the records as the server stores them.
      const print = (text: string) => io.out(values.json ? text : formatLogLine(text, io.color))
      if (!values.follow) {
        const route =
          values.step === undefined
            ? `/api/jobs/${seg(jobId)}/logs`
            : `/api/jobs/${seg(jobId)}/steps/${seg(values.step)}/logs`
        const res = await client.get<{ logs: string }>(route, { after_seq: rawSeq })
        for (const text of res.body.logs.split('\n')) if (text !== '') print(text)
        return 0
      }
      const end = await followJobLog({
        client,
        jobId,
        afterSeq: Number(rawSeq),
        step: values.step,
        onLine: print,
      })
      if (end === null) return 1
      const text = `job ${jobId} ${paintStatus(end.status, values.json ? io.errColor : io.color)} (last_seq ${end.lastSeq})`
      if (values.json) io.err(text)
      else io.out(text)
      return end.status === 'completed' ? 0 : 1
    }),
}
