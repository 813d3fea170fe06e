/**
 * Group commit for small writes: `add(item)` starts a flush at once when none is running (no
 * added latency when idle); items added while one runs go together in the next flush. Each
 * item's promise settles with the flush that carried it.
 */
export function createCoalescer<T>(
  flush: (items: T[]) => Promise<void>,
): (item: T) => Promise<void> {
  let queued: Array<{ item: T; resolve: () => void; reject: (e: unknown) => void }> = []
  let running = false
  const run = async (): Promise<void> => {
    running = true
    while (queued.length > 0) {
      const batch = queued
      queued = []
      try {
        await flush(batch.map((b) => b.item))
        for (const b of batch) b.resolve()
      } catch (e) {
        for (const b of batch) b.reject(e)
      }
    }
    running = false
  }
  return (item) =>
    new Promise<void>((resolve, reject) => {
      queued.push({ item, resolve, reject })
      if (!running) void run()
    })
}
