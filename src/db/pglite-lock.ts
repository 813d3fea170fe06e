/**
 * One process per PGlite data dir: a lock file holding the owner's pid. A stale lock (its process
 * gone) is taken over; a live one is a clear error instead of a corrupted database.
 */
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs'
import { join } from 'node:path'

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Takes the lock or throws naming the process that holds it. Returns the release function. */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true })
  const file = join(dataDir, 'weir.lock')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx')
      writeSync(fd, String(process.pid))
      closeSync(fd)
      return () => rmSync(file, { force: true })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      const pid = Number.parseInt(readFileSync(file, 'utf8'), 10)
      if (Number.isInteger(pid) && pid !== process.pid && isAlive(pid)) {
        throw new Error(
          `the embedded database in ${dataDir} is in use by process ${pid}; stop it, or set db.url to use a shared PostgreSQL`,
          { cause: e },
        )
      }
      rmSync(file, { force: true })
    }
  }
  throw new Error(`could not lock the embedded database in ${dataDir} (lock file ${file})`)
}
