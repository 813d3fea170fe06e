/**
 * `weir worker` with every HTTP call timed, for remote-phases.ts: one JSON line per call on
 * stdout, `{path, t0, t1, status}` with times in ms since the epoch (performance.timeOrigin based,
 * comparable with the server process's). Arguments and environment as for `weir worker`.
 */
import { homedir, hostname } from 'node:os'
import { loadWorkerConfig } from '../../src/config/worker-config.ts'
import { silentLogger } from '../../src/shared/logger.ts'
import { createWorkerApp } from '../../src/worker-app.ts'

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
  http: {
    onCall: (c) =>
      process.stdout.write(
        JSON.stringify({
          path: new URL(c.path, 'http://x').pathname,
          t0: performance.timeOrigin + c.startMs,
          t1: performance.timeOrigin + c.endMs,
          status: c.status,
        }) + '\n',
      ),
  },
})
process.once('SIGTERM', () => void app.stop().then(() => process.exit(0)))
await app.start()
