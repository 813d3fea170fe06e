/**
 * `weir artifacts <job-id>` lists the files a job's steps left (API.md: GET /api/jobs/{id}/artifacts);
 * `weir artifacts <job-id> <name>` downloads one, streamed, to a file (or stdout with `-o -`).
 */
import { createWriteStream, existsSync } from 'node:fs'
import { basename } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import { seg } from '../api-client.ts'
import { CLIENT_HELP, CLIENT_OPTIONS, connect, runClient, UsageError } from '../client-command.ts'
import type { Command } from '../index.ts'
import { formatTable } from '../output-format.ts'

const OPTIONS = {
  ...CLIENT_OPTIONS,
  output: { type: 'string', short: 'o' },
  force: { type: 'boolean' },
} as const

const USAGE = 'weir artifacts <job-id> [<name> [-o FILE|-] [--force]] [--json]'

interface ArtifactDto {
  readonly name: string
  readonly content_type: string | null
  readonly size_bytes: number
  readonly step_name: string | null
  readonly created_at: string | null
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB']
  let v = bytes / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`
}

export const artifactsCommand: Command = {
  summary: `List a job's artifacts, or download one.

  weir artifacts <job-id>              name, size, step and type of each file
  weir artifacts <job-id> <name>       download it into the current folder (its base name)
  -o, --output FILE                    write it there instead; '-' for stdout
  --force                              replace an existing file
  --json                               the list as a JSON array

${CLIENT_HELP}`,
  usage: USAGE,
  run: (ctx) =>
    runClient(ctx, { name: 'artifacts', usage: USAGE }, async (io) => {
      const { values, positionals } = parseArgs({
        args: [...ctx.argv],
        options: OPTIONS,
        allowPositionals: true,
        strict: true,
      })
      if (positionals.length < 1 || positionals.length > 2) {
        throw new UsageError(['expected a job id, and optionally an artifact name'])
      }
      const [jobId, name] = positionals as [string, string | undefined]
      const client = connect(values, ctx.env)
      if (name === undefined) {
        const res = await client.get<ArtifactDto[]>(`/api/jobs/${seg(jobId)}/artifacts`)
        if (io.json) io.document(res.body)
        else if (res.body.length === 0) io.out(`job ${jobId} has no artifacts`)
        else {
          io.out(
            formatTable(
              ['NAME', 'SIZE', 'STEP', 'TYPE'],
              res.body.map((a) => [
                a.name,
                formatSize(a.size_bytes),
                a.step_name ?? '-',
                a.content_type ?? '-',
              ]),
              io.color,
            ),
          )
        }
        return 0
      }
      const target = values.output ?? basename(name)
      if (target !== '-' && existsSync(target) && !values.force) {
        throw new UsageError([`${target} exists; pass --force to replace it, or -o another file`])
      }
      const path = name.split('/').map(seg).join('/')
      const res = await client.download(`/api/jobs/${seg(jobId)}/artifacts/${path}`)
      const body = res.body ? Readable.fromWeb(res.body as never) : Readable.from([])
      if (target === '-') {
        await pipeline(body, io.stdout, { end: false })
        return 0
      }
      await pipeline(body, createWriteStream(target))
      io.err(`${target}: ${formatSize(Number(res.headers.get('content-length') ?? 0))}`)
      return 0
    }),
}
