/** Shared option parsing for commands that read the server configuration. */
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig, type LoadedConfig } from '../config/load-config.ts'
import type { CommandContext } from './index.ts'

const CONFIG_OPTIONS = {
  config: { type: 'string', short: 'c' },
  listen: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

/**
 * The config of a command that takes only `--config` and `--listen`: parsed flags, then the
 * loaded config; null (the problem printed) on a bad flag or an invalid config. Warnings go to
 * stderr unless `printWarnings` is false (`weir serve` logs them instead).
 */
export function loadConfigFromArgs(
  ctx: CommandContext,
  opts: { printWarnings?: boolean } = {},
): LoadedConfig | null {
  const args = tryParse(() =>
    parseArgs({
      args: [...ctx.argv],
      options: CONFIG_OPTIONS,
      allowPositionals: false,
      strict: true,
    }),
  )
  if (!args) return null
  return tryLoadConfig(ctx, {
    flags: { listen: args.values.listen },
    configPath: args.values.config,
    printWarnings: opts.printWarnings ?? true,
  })
}

/** Loads the config for a command; prints every problem and returns null when it is invalid. */
export function loadCommandConfig(
  ctx: CommandContext,
  flags: Record<string, unknown>,
  configPath?: string,
): LoadedConfig | null {
  return tryLoadConfig(ctx, { flags, configPath, printWarnings: true })
}

function tryLoadConfig(
  ctx: CommandContext,
  o: { flags: Record<string, unknown>; configPath?: string; printWarnings: boolean },
): LoadedConfig | null {
  try {
    const loaded = loadConfig({
      env: ctx.env,
      cwd: ctx.cwd,
      configPath: o.configPath,
      flags: o.flags,
    })
    if (o.printWarnings) for (const w of loaded.warnings) process.stderr.write(`warning: ${w}\n`)
    return loaded
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`)
      return null
    }
    throw e
  }
}

/** Runs a parseArgs call; prints the problem and returns null on a bad flag. */
export function tryParse<T>(parse: () => T): T | null {
  try {
    return parse()
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`)
    return null
  }
}
