/**
 * Content revision of a folder workspace (WORKSPACE-FORMAT.md §1.3): one hash over every file path
 * and content under the root. Pure; the loader feeds it the files in path order.
 */
import { createHash } from 'node:crypto'
import type { Hash } from 'node:crypto'

/** Hex characters kept: short enough for logs and URLs, long enough to never collide in practice. */
export const REVISION_LENGTH = 12

export class RevisionHash {
  readonly #hash: Hash = createHash('sha256')

  /**
   * Adds one file. Path and length are framed with NUL separators, so moving bytes between a name
   * and a content (or between two files) always changes the result.
   */
  add(path: string, content: Uint8Array): void {
    this.#hash.update(`${path}\u0000${content.length}\u0000`)
    this.#hash.update(content)
  }

  /** The revision; call once, after the last `add`. */
  digest(): string {
    return this.#hash.digest('hex').slice(0, REVISION_LENGTH)
  }
}

/** Revision of in-memory files, sorted here by path (UTF-16 code units, locale-independent). */
export function revisionOf(files: ReadonlyArray<{ path: string; content: Uint8Array }>): string {
  const hash = new RevisionHash()
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  for (const f of sorted) hash.add(f.path, f.content)
  return hash.digest()
}
