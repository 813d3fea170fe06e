/**
 * `weir worker` whose steps exit 0 at once, with no process (B6's no-op launcher): what remains is
 * the worker protocol, the server and the database. For the remote rows of B6
 * (scenarios/remote-throughput.ts). Arguments and environment as for `weir worker`.
 */
import { homedir, hostname } from 'node:os'
import { loadWorkerConfig } from '../../src/config/worker-config.ts'
import { silentLogger } from '../../src/shared/logger.ts'
import { createWorkerApp } from '../../src/worker-app.ts'
import { createNoopLauncher } from './noop-launcher.ts'

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
  launcherOverride: (configured) => ({ ...createNoopLauncher(), close: () => configured.close() }),
})
process.once('SIGTERM', () => void app.stop().then(() => process.exit(0)))
await app.start()
