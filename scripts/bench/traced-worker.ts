/**
 * `weir worker` with every HTTP call timed, for remote-phases.ts: one JSON line per call on
 * stdout, `{path, t0, t1, status}` with times in ms since the epoch (performance.timeOrigin based,
 * comparable with the server process's). Arguments and environment as for `weir worker`.
 */
import { homedir, hostname } from 'node:os'
import { loadWorkerConfig } from '../../src/config/worker-config.ts'
import { silentLogger } from '../../src/shared/logger.ts'
import { createWorkerApp } from '../../src/worker-app.ts'

const now = () => performance.timeOrigin + performance.now()
const config = loadWorkerConfig({
  argv: process.argv.slice(2),
  env: process.env,
  cwd: process.cwd(),
  hostname: hostname(),
  homeDir: homedir(),
})
if (!config) throw new Error('no worker config')
const traced: typeof fetch = async (input, init) => {
  const t0 = now()
  const res = await fetch(input, init)
  const body = await res.arrayBuffer()
  const t1 = now()
  const path = new URL(typeof input === 'string' ? input : input.toString()).pathname
  process.stdout.write(JSON.stringify({ path, t0, t1, status: res.status }) + '\n')
  return new Response(res.status === 204 ? null : body, {
    status: res.status,
    headers: res.headers,
  })
}
const app = createWorkerApp({
  config,
  logger: silentLogger(),
  env: process.env,
  hostname: hostname(),
  fetch: traced,
})
process.once('SIGTERM', () => void app.stop().then(() => process.exit(0)))
await app.start()
