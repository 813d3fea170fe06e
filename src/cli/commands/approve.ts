/**
 * `weir approve <job> <step>`: decide an approval gate that waits (docs/workflows.md, "Approval
 * gates"): approve it with the fields it asks for, or reject it with a reason.
 */
import { parseArgs } from 'node:util'
import { seg, type JobDetailDto } from '../api-client.ts'
import { CLIENT_HELP, CLIENT_OPTIONS, connect, runClient, UsageError } from '../client-command.ts'
import type { Command } from '../index.ts'
import { buildInput, fieldShapes } from '../input-args.ts'

const OPTIONS = {
  ...CLIENT_OPTIONS,
  reject: { type: 'boolean' },
  reason: { type: 'string' },
  input: { type: 'string', short: 'i', multiple: true },
} as const

const USAGE = 'weir approve <job-id> <step> [-i key=value]… [--reject [--reason TEXT]] [--json]'

export const approveCommand: Command = {
  summary: `Approve a suspended approval step, or reject it with --reject.

  -i, --input key=value   a field the approval asks for, typed by its schema (as weir run -i)
  --reject                reject: the step fails, with --reason (default "Approval rejected")
  --json                  print the server's answer {job_id, step_name, status, step_status}

Exit status: 0 decided, 1 refused (the step is not waiting: 409; a missing field: 400), 2 bad usage.
${CLIENT_HELP}`,
  usage: USAGE,
  run: (ctx) =>
    runClient(ctx, { name: 'approve', usage: USAGE }, async (io) => {
      const { values, positionals } = parseArgs({
        args: [...ctx.argv],
        options: OPTIONS,
        allowPositionals: true,
        strict: true,
      })
      const problems: string[] = []
      if (positionals.length !== 2) problems.push('expected a job id and a step name')
      if (values.reason !== undefined && !values.reject) {
        problems.push('--reason goes with --reject')
      }
      if (problems.length > 0) throw new UsageError(problems)
      const [jobId, step] = positionals as [string, string]
      const client = connect(values, ctx.env)
      const args = values.input ?? []
      let input: Record<string, unknown> | undefined
      if (args.length > 0) {
        const job = (await client.get<JobDetailDto>(`/api/jobs/${seg(jobId)}`)).body
        const found = job.steps.find((s) => s.step_name === step)
        if (!found) {
          const names = job.steps.map((s) => s.step_name).join(', ')
          throw new Error(`job ${jobId} has no step '${step}' (its steps: ${names})`)
        }
        const built = buildInput(args, fieldShapes(found.approval_fields))
        if (!built.ok) throw new UsageError(built.problems)
        input = built.input
      }
      const res = await client.post<{ status: string; step_status: string }>(
        `/api/jobs/${seg(jobId)}/steps/${seg(step)}/approve`,
        {
          approved: !values.reject,
          ...(input !== undefined ? { input } : {}),
          ...(values.reason !== undefined ? { rejection_reason: values.reason } : {}),
        },
      )
      if (io.json) io.document(res.body)
      else io.out(`${res.body.status} step ${step} of job ${jobId} (step ${res.body.step_status})`)
      return 0
    }),
}
