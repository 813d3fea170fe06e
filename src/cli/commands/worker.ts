/** `weir worker`: a remote worker that claims steps from a Weir server over HTTP until stopped. */
import { homedir, hostname } from 'node:os'
import { loadWorkerConfig, WORKER_USAGE, WorkerConfigError } from '../../config/worker-config.ts'
import { createLogger } from '../../shared/logger.ts'
import { createWorkerApp, WorkerRefusedError, WorkerSetupError } from '../../worker-app.ts'
import type { Command } from '../index.ts'
import { onShutdownSignal } from '../signals.ts'

const SUMMARY =
  'Run a remote worker: claim steps from a Weir server over HTTP (/worker/*) and run them here.'

export const workerCommand: Command = {
  summary: SUMMARY,
  usage: WORKER_USAGE,
  async run(ctx) {
    let config
    try {
      config = loadWorkerConfig({
        argv: ctx.argv,
        env: ctx.env,
        cwd: ctx.cwd,
        hostname: hostname(),
        homeDir: homedir(),
      })
    } catch (e) {
      if (!(e instanceof WorkerConfigError)) throw e
      process.stderr.write(
        `weir worker: ${e.message}\nRun \`weir worker --help\` for the options.\n`,
      )
      return 2
    }
    if (config === null) {
      process.stdout.write(`${SUMMARY}\n\nUsage: ${WORKER_USAGE}\n`)
      return 0
    }
    const logger = createLogger({ level: config.logLevel }).child({
      component: 'remote-worker',
      worker: config.name,
    })
    const app = createWorkerApp({ config, logger, env: ctx.env, hostname: hostname() })
    let signalled = false
    onShutdownSignal(
      async (signal) => {
        signalled = true
        logger.info({ signal }, 'shutting down')
        await app.stop()
        logger.info('stopped')
      },
      (msg) => logger.info(msg),
    )
    try {
      await app.start()
      return 0
    } catch (e) {
      if (signalled) return 0
      if (e instanceof WorkerRefusedError || e instanceof WorkerSetupError) logger.fatal(e.message)
      else logger.fatal({ err: e }, 'weir worker could not start')
      await app.stop()
      return 1
    }
  },
}
