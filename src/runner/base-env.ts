/**
 * The environment a step inherits from its worker (WORKSPACE-FORMAT.md §9.1): the worker's own,
 * minus Weir's settings (names starting `WEIR_`, which carry tokens) and the database URL.
 */
export function stepBaseEnv(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || k.startsWith('WEIR_') || k === 'DATABASE_URL') continue
    out[k] = v
  }
  return out
}
