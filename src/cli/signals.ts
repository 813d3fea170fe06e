/**
 * The only place that touches process signals. Servers and workers: the first SIGTERM/SIGINT
 * starts a graceful stop, a second one forces a non-zero exit.
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

/**
 * Ctrl-C and SIGTERM for a client command that has something to offer before it exits
 * (`weir run --follow` offers to cancel the job): each signal calls `onSignal` instead of ending
 * the process, until the returned function removes the handlers.
 */
export function onInterrupt(onSignal: (signal: 'SIGINT' | 'SIGTERM') => void): () => void {
  const onInt = () => onSignal('SIGINT')
  const onTerm = () => onSignal('SIGTERM')
  process.on('SIGINT', onInt)
  process.on('SIGTERM', onTerm)
  return () => {
    process.off('SIGINT', onInt)
    process.off('SIGTERM', onTerm)
  }
}
