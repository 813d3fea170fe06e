/**
 * The only place that touches process signals: the first SIGTERM/SIGINT starts a graceful stop,
 * a second one forces a non-zero exit.
 */
export function onShutdownSignal(
  stop: (signal: string) => Promise<void>,
  log: (msg: string) => void,
): void {
  let stopping = false
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      log(`received ${signal} again: exiting now`)
      process.exit(130)
    }
    stopping = true
    log(`received ${signal}: shutting down gracefully (send it again to force)`)
    stop(signal).then(
      () => process.exit(process.exitCode ?? 0),
      () => process.exit(1),
    )
  }
  process.on('SIGTERM', handler)
  process.on('SIGINT', handler)
}
