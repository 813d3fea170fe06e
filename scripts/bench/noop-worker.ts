/**
 * `weir worker` whose steps exit 0 at once, with no process (B6's no-op launcher): what remains is
 * the worker protocol, the server and the database. For B6R (scenarios/remote-throughput.ts).
 * Arguments and environment as for `weir worker`.
 */
import { runBenchWorker } from './bench-worker.ts'
import { createNoopLauncher } from './noop-launcher.ts'

await runBenchWorker({
  launcherOverride: (configured) => ({ ...createNoopLauncher(), close: () => configured.close() }),
})
