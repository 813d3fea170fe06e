/** What the standalone bench scripts (`npm run bench:artifacts`, `bench:triggers`) share. */

/** A command-line value that must be a positive integer: its number, or an error naming `--name`. */
export function positiveArg(v: string | undefined, name: string): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`)
  return n
}

/** A progress line on stderr while the bench runs (the results go to stdout). */
export function progress(msg: string): void {
  process.stderr.write(`  … ${msg}\n`)
}
