/**
 * Lays one folder over another (an upload in `merge` mode over the files of the snapshot before
 * it): what `from` holds replaces what `to` holds at the same path, the rest of `to` stays. Only
 * real folders of `to` are entered; a link in `to` is replaced, never followed.
 */
import { lstat, readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'

export async function overlayFolder(from: string, to: string): Promise<void> {
  for (const name of await readdir(from)) {
    const src = join(from, name)
    const dest = join(to, name)
    const [s, d] = await Promise.all([lstat(src), lstat(dest).catch(() => null)])
    if (s.isDirectory() && d?.isDirectory()) {
      await overlayFolder(src, dest)
      continue
    }
    if (d) await rm(dest, { recursive: true, force: true })
    await rename(src, dest)
  }
}
