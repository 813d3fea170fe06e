/**
 * `weir prune [--dry-run]`: one retention pass now, against the configured database and folders
 * (what the leader does every `retention.interval_secs`), or, dry, what it would delete.
 */
import { parseArgs } from 'node:util'
import { createArtifacts } from '../../artifacts/create-artifacts.ts'
import { createRetention } from '../../retention/create-retention.ts'
import type { DryRunReport } from '../../retention/job-retention.ts'
import { describeReport } from '../../retention/retention-policy.ts'
import { systemClock } from '../../shared/clock.ts'
import { createLogger } from '../../shared/logger.ts'
import { withDatabase } from '../command-database.ts'
import { tryParse } from '../config-args.ts'
import type { Command } from '../index.ts'

const USAGE = 'weir prune [--dry-run] [--config FILE]'

function scopeText(scope: DryRunReport['rules'][number]['rule']['scope']): string {
  if ('only' in scope) return `workspace ${scope.only}`
  return scope.except.length > 0 ? `workspaces but ${scope.except.join(', ')}` : 'all workspaces'
}

function printDryRun(r: DryRunReport): void {
  if (r.rules.length === 0) console.log('job retention is off (retention.job_days: 0)')
  for (const { rule, jobs, steps, oldest } of r.rules) {
    const since = oldest ? `, oldest created ${oldest.toISOString()}` : ''
    console.log(
      `${scopeText(rule.scope)}: ${jobs} jobs (${steps} steps) finished more than ` +
        `${rule.days} days ago, before ${rule.cutoff.toISOString()}${since}`,
    )
  }
  if (r.unfinished > 0) console.log(`${r.unfinished} jobs of an interrupted pass`)
  console.log(`${r.workers} lost or revoked workers`)
  console.log('dry run: nothing was deleted')
}

export const pruneCommand: Command = {
  summary: 'Delete old jobs (rows, logs, artifacts) and gone workers now, as retention does.',
  usage: USAGE,
  async run(ctx) {
    const args = tryParse(() =>
      parseArgs({
        args: [...ctx.argv],
        options: {
          'dry-run': { type: 'boolean' },
          config: { type: 'string', short: 'c' },
          help: { type: 'boolean', short: 'h' },
        },
        allowPositionals: false,
        strict: true,
      }),
    )
    if (!args) return 1
    if (args.values.help) {
      console.log(`${USAGE}\n\n${this.summary}`)
      return 0
    }
    const dry = args.values['dry-run'] === true
    const logger = createLogger({ level: 'warn' })
    return withDatabase(ctx, args.values.config, async (database, config) => {
      const artifacts = dry
        ? null
        : await createArtifacts({ config, database, clock: systemClock, logger })
      try {
        const retention = createRetention({
          config,
          database,
          clock: systemClock,
          logger,
          logStore: null,
          artifacts: artifacts?.store ?? null,
        })
        if (dry) {
          printDryRun(await retention.dryRun())
          return 0
        }
        console.log(`deleted ${describeReport(await retention.pass())}`)
        return 0
      } finally {
        await artifacts?.stop()
      }
    })
  },
}
