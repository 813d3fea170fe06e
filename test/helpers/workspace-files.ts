/** Workspace folders written by tests: a temp folder, its files given as a map. */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

/** Writes (or, with null, deletes) files under `dir`; names ending in `.sh` are executable. */
export function writeFiles(dir: string, files: Record<string, string | null>): void {
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name)
    if (content === null) {
      rmSync(path, { force: true })
      continue
    }
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, content)
    if (name.endsWith('.sh')) chmodSync(path, 0o755)
  }
}

/** A new temp folder holding `files`. */
export function workspaceDir(prefix: string, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  writeFiles(dir, files)
  return dir
}
