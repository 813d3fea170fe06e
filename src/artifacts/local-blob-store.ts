/**
 * The local-folder backend of BlobStore: a blob is the file `<root>/<key>`. Writes go to a temp
 * file under `<root>/.incoming/<instance>/` (the same file system) and are renamed into place, so
 * a reader never sees half a file. A crash leaves at most temp files: instance folders a day old
 * are removed when a store opens (another server may share the root).
 */
import { randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { BlobTooLargeError, type BlobStore } from './blob-store.ts'

const INCOMING = '.incoming'

function checkKey(key: string): void {
  const parts = key.split('/')
  if (key === '' || key.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..'))
    throw new Error(`invalid blob key '${key}'`)
}

async function* limited(
  source: AsyncIterable<Buffer>,
  maxBytes: number,
  seen: { bytes: number },
): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    seen.bytes += chunk.length
    if (seen.bytes > maxBytes) throw new BlobTooLargeError(maxBytes)
    yield chunk
  }
}

const STALE_MS = 24 * 3600 * 1000

export class LocalBlobStore implements BlobStore {
  readonly #root: string
  readonly #incoming: string

  constructor(root: string) {
    this.#root = root
    this.#incoming = join(root, INCOMING, randomUUID())
  }

  /** Creates the folders and removes temp files a crash left behind (a day old or more). */
  async open(nowMs: number): Promise<void> {
    const all = join(this.#root, INCOMING)
    await mkdir(all, { recursive: true })
    for (const name of await readdir(all)) {
      const path = join(all, name)
      const st = await stat(path).catch(() => null)
      if (st && nowMs - st.mtimeMs > STALE_MS) await rm(path, { recursive: true, force: true })
    }
    await mkdir(this.#incoming, { recursive: true })
  }

  /** Removes this instance's temp folder. */
  async close(): Promise<void> {
    await rm(this.#incoming, { recursive: true, force: true })
  }

  #path(key: string): string {
    checkKey(key)
    return join(this.#root, key)
  }

  async #commit(temp: string, key: string): Promise<void> {
    const path = this.#path(key)
    await mkdir(dirname(path), { recursive: true })
    await rename(temp, path)
  }

  async write(
    key: string,
    source: AsyncIterable<Buffer>,
    opts: { maxBytes: number },
  ): Promise<number> {
    this.#path(key)
    const temp = join(this.#incoming, randomUUID())
    const seen = { bytes: 0 }
    try {
      await pipeline(limited(source, opts.maxBytes, seen), createWriteStream(temp, { flags: 'wx' }))
      await this.#commit(temp, key)
      return seen.bytes
    } catch (e) {
      await rm(temp, { force: true })
      throw e
    }
  }

  async copyFrom(key: string, path: string, opts: { maxBytes: number }): Promise<number> {
    this.#path(key)
    const { size } = await stat(path)
    if (size > opts.maxBytes) throw new BlobTooLargeError(opts.maxBytes)
    const temp = join(this.#incoming, randomUUID())
    try {
      await copyFile(path, temp)
      const copied = (await stat(temp)).size
      if (copied > opts.maxBytes) throw new BlobTooLargeError(opts.maxBytes)
      await this.#commit(temp, key)
      return copied
    } catch (e) {
      await rm(temp, { force: true })
      throw e
    }
  }

  async size(key: string): Promise<number | undefined> {
    return stat(this.#path(key)).then(
      (s) => s.size,
      () => undefined,
    )
  }

  read(key: string, range?: { start: number; end: number }): Readable {
    return createReadStream(this.#path(key), range)
  }

  async delete(keys: ReadonlyArray<string>): Promise<void> {
    for (const key of keys) await rm(this.#path(key), { force: true })
  }

  async deletePrefix(prefix: string): Promise<void> {
    if (!prefix.endsWith('/')) throw new Error(`a prefix to delete ends in '/': '${prefix}'`)
    await rm(this.#path(prefix.slice(0, -1)), { recursive: true, force: true })
  }
}
