/**
 * Task state decisions (pure): the values an upload sets, how an upload combines with the
 * snapshot before it, and which snapshots go when a task keeps only its newest ones.
 */

export type UploadMode = 'replace' | 'merge'

/** A task's own state, or its workspace's (global state). */
export type StateScope = 'task' | 'global'

export type UploadQuery =
  | { readonly ok: true; readonly mode: UploadMode; readonly values: Record<string, string> }
  | { readonly ok: false; readonly message: string; readonly field: string }

/**
 * Reads an upload's query: `mode=replace|merge` (default replace), and every other key as a
 * string value of state.json (a repeated key: its last value).
 */
export function readUploadQuery(
  query: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>,
): UploadQuery {
  const values: Record<string, string> = {}
  let mode: UploadMode = 'replace'
  for (const [key, raw] of Object.entries(query)) {
    if (raw === undefined) continue
    const value = typeof raw === 'string' ? raw : (raw.at(-1) ?? '')
    if (key === 'mode') {
      if (value !== 'replace' && value !== 'merge')
        return {
          ok: false,
          message: `mode must be replace or merge, got '${value}'`,
          field: 'mode',
        }
      mode = value
    } else values[key] = value
  }
  return { ok: true, mode, values }
}

/** The values of a new snapshot: replace takes the upload's alone, merge lays them over the last. */
export function combineValues(
  mode: UploadMode,
  previous: Readonly<Record<string, unknown>> | null,
  values: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  return mode === 'merge' ? { ...(previous ?? {}), ...values } : { ...values }
}

/** Snapshots past the newest `keep` (given newest first): the ones to delete. */
export function snapshotsToPrune<T>(newestFirst: ReadonlyArray<T>, keep: number): T[] {
  return newestFirst.slice(Math.max(1, keep))
}
