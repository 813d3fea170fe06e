/** `weir serve`: the server (API, scheduler, embedded worker) until SIGTERM/SIGINT. */
import { createApp } from '../../app.ts'
import { isLoopbackListen, redactConfig } from '../../config/load-config.ts'
import { createLogger, resolveLogFormat } from '../../shared/logger.ts'
import { loadConfigFromArgs } from '../config-args.ts'
import type { Command } from '../index.ts'
import { onShutdownSignal } from '../signals.ts'

export const serveCommand: Command = {
  summary: 'Run the Weir server: HTTP API, WebSocket log streams, scheduler and embedded worker.',
  usage: 'weir serve [--config FILE] [--listen HOST:PORT]',
  async run(ctx) {
    const loaded = loadConfigFromArgs(ctx, { printWarnings: false })
    if (!loaded) return 1
    const { config } = loaded
    const logger = createLogger({
      level: config.log_level,
      format: resolveLogFormat(config.log_format),
    })
    for (const warning of loaded.warnings) logger.warn({ component: 'config' }, warning)
    logger.info({ config: redactConfig(config) }, 'starting weir')
    try {
      const app = await createApp(config, { logger, env: ctx.env })
      onShutdownSignal(
        async (signal) => {
          logger.info({ signal }, 'shutting down')
          await app.stop()
          logger.info('stopped')
        },
        (msg) => logger.info(msg),
      )
      await app.listen()
      if (!config.auth && !isLoopbackListen(config.listen)) {
        logger.warn(
          { listen: config.listen },
          `listening on ${config.listen} without an auth section: anyone who can reach this ` +
            "address can run the workspaces' scripts (add auth, or listen on 127.0.0.1)",
        )
      }
      try {
        await app.ready
      } catch (e) {
        logger.fatal({ err: e }, 'weir could not open its database')
        await app.stop()
        return 1
      }
      await app.start()
      logger.info('ready')
      return 0
    } catch (e) {
      logger.fatal({ err: e }, 'weir could not start')
      return 1
    }
  },
}
