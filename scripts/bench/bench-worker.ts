/**
 * Runs `weir worker` in this process with the arguments and environment `weir worker` takes, plus
 * options the command line cannot set (the bench's worker scripts: traced-worker.ts,
 * noop-worker.ts). Stops on SIGTERM.
 */
import { homedir, hostname } from 'node:os'
import { loadWorkerConfig } from '../../src/config/worker-config.ts'
import { silentLogger } from '../../src/shared/logger.ts'
import { createWorkerApp, type WorkerAppOptions } from '../../src/worker-app.ts'

export async function runBenchWorker(
  extra: Pick<WorkerAppOptions, 'http' | 'launcherOverride'>,
): Promise<void> {
  const config = loadWorkerConfig({
    argv: process.argv.slice(2),
    env: process.env,
    cwd: process.cwd(),
    hostname: hostname(),
    homeDir: homedir(),
  })
  if (!config) throw new Error('no worker config')
  const app = createWorkerApp({
    config,
    logger: silentLogger(),
    env: process.env,
    hostname: hostname(),
    ...extra,
  })
  process.once('SIGTERM', () => void app.stop().then(() => process.exit(0)))
  await app.start()
}
