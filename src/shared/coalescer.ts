/**
 * Group commit for small statements: `add(item)` starts a flush at once when none is running (no
 * added latency when idle); items added while one runs go together in the next flush, so under
 * load many items share one round trip. Each item's promise settles with the flush that carried
 * it. With `isolateFailures`, a failed batch of several items is retried one item at a time, so
 * one bad item (a unique violation) fails alone.
 */
export function createCoalescer<T, R = void>(
  flush: (items: T[]) => Promise<R[]>,
  opts: { readonly isolateFailures?: boolean; readonly maxBatch?: number } = {},
): (item: T) => Promise<R> {
  type Entry = { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }
  const maxBatch = opts.maxBatch ?? 256
  let queued: Entry[] = []
  let running = false
  const settle = async (batch: Entry[]): Promise<void> => {
    try {
      const results = await flush(batch.map((b) => b.item))
      batch.forEach((b, i) => b.resolve(results[i] as R))
    } catch (e) {
      if (!opts.isolateFailures || batch.length === 1) for (const b of batch) b.reject(e)
      else for (const b of batch) await settle([b])
    }
  }
  const run = async (): Promise<void> => {
    running = true
    while (queued.length > 0) {
      const batch = queued.slice(0, maxBatch)
      queued = queued.slice(batch.length)
      await settle(batch)
    }
    running = false
  }
  return (item) =>
    new Promise<R>((resolve, reject) => {
      queued.push({ item, resolve, reject })
      if (!running) void run()
    })
}
