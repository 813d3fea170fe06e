/**
 * `weir worker` with every HTTP call timed, for remote-phases.ts: one JSON line per call on
 * stdout, `{path, t0, t1, status}` with times in ms since the epoch (performance.timeOrigin based,
 * comparable with the server process's). Arguments and environment as for `weir worker`.
 */
import { runBenchWorker } from './bench-worker.ts'

await runBenchWorker({
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
