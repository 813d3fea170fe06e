/**
 * Gzip tar archives of a folder, streamed both ways (task state: snapshots at rest, uploads, the
 * files a remote worker receives and sends). Packing walks a folder without following links;
 * unpacking refuses what could write or point outside the destination (names with `..` or an
 * absolute path, links leading out, device files, paths through a link) and reports every such
 * entry at once. The caller unpacks into a fresh folder and removes it when unpacking throws, so
 * nothing is ever half-written.
 */
import { createReadStream } from 'node:fs'
import { copyFile, lstat, mkdir, open, readdir, readlink, symlink, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable, pipeline } from 'node:stream'
import { createGunzip, createGzip } from 'node:zlib'
import { assertNever, coerceError } from './errors.ts'
import {
  BLOCK,
  decodeHeader,
  encodeHeader,
  END_OF_ARCHIVE,
  isZeroBlock,
  linkStaysInside,
  normalizeEntryName,
  padding,
  parsePax,
  TarFormatError,
  type TarEntryHead,
} from './tar-format.ts'

/** An archive that was refused: one line per offending entry (`entry 'x': why`). */
export class TarArchiveError extends Error {
  readonly problems: ReadonlyArray<string>
  constructor(problems: ReadonlyArray<string>) {
    super(problems.join('; '))
    this.name = 'TarArchiveError'
    this.problems = problems
  }
}

// ---------------------------------------------------------------------------------------------
// Packing
// ---------------------------------------------------------------------------------------------

export interface PackOptions {
  /** Files to add at the root before the folder's own (e.g. a generated state.json). */
  readonly extra?: ReadonlyArray<{ readonly name: string; readonly data: Buffer }>
  /** Relative names (`/`-separated) to leave out. */
  readonly exclude?: (name: string) => boolean
  /** Told about each link left out because it points outside the folder. */
  readonly onSkippedLink?: (name: string, target: string) => void
}

interface Walked {
  readonly head: TarEntryHead
  readonly path: string
}

async function* walk(root: string, rel: string, o: PackOptions): AsyncGenerator<Walked> {
  const dir = rel === '' ? root : join(root, rel)
  const names = (await readdir(dir)).sort()
  for (const n of names) {
    const name = rel === '' ? n : `${rel}/${n}`
    if (o.exclude?.(name)) continue
    const path = join(root, name)
    const st = await lstat(path)
    const mtime = st.mtimeMs / 1000
    if (st.isDirectory()) {
      yield { head: { name, type: 'directory', size: 0, mode: 0o755, mtime }, path }
      yield* walk(root, name, o)
    } else if (st.isFile()) {
      const mode = (st.mode & 0o111) !== 0 ? 0o755 : 0o644
      yield { head: { name, type: 'file', size: st.size, mode, mtime }, path }
    } else if (st.isSymbolicLink()) {
      const target = await readlink(path)
      if (linkStaysInside(name, target)) {
        yield {
          head: { name, type: 'symlink', size: 0, mode: 0o777, mtime, linkName: target },
          path,
        }
      } else o.onSkippedLink?.(name, target)
    }
  }
}

async function* archiveBytes(root: string | null, o: PackOptions): AsyncGenerator<Buffer> {
  for (const e of o.extra ?? []) {
    yield encodeHeader({ name: e.name, type: 'file', size: e.data.length, mode: 0o644, mtime: 0 })
    yield e.data
    yield padding(e.data.length)
  }
  if (root !== null) {
    for await (const { head, path } of walk(root, '', o)) {
      yield encodeHeader(head)
      if (head.type !== 'file') continue
      let read = 0
      for await (const chunk of createReadStream(path, { end: Math.max(0, head.size - 1) })) {
        read += (chunk as Buffer).length
        yield chunk as Buffer
      }
      if (read !== head.size) throw new Error(`file '${head.name}' changed while being archived`)
      yield padding(head.size)
    }
  }
  yield END_OF_ARCHIVE
}

/**
 * A gzip tar stream of `root` (null: only the extra files): directories, regular files, and links
 * that stay inside; other kinds of file are left out. Errors end the stream with that error.
 */
export function packDirectory(root: string | null, o: PackOptions = {}): Readable {
  const gzip = createGzip()
  pipeline(Readable.from(archiveBytes(root, o)), gzip, () => undefined)
  return gzip
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/** Exact-size reads over a stream of chunks, holding at most one chunk. */
class ByteReader {
  readonly #it: AsyncIterator<Buffer>
  #buf: Buffer = Buffer.alloc(0)
  #done = false
  /** Bytes handed out so far (the decompressed size read). */
  consumed = 0

  constructor(source: AsyncIterable<Buffer>) {
    this.#it = source[Symbol.asyncIterator]()
  }

  async #more(): Promise<boolean> {
    if (this.#done) return false
    const r = await this.#it.next()
    if (r.done) {
      this.#done = true
      return false
    }
    this.#buf = this.#buf.length === 0 ? r.value : Buffer.concat([this.#buf, r.value])
    return true
  }

  /** Exactly `n` bytes; null at the end of the stream before any of them; throws when cut short. */
  async read(n: number): Promise<Buffer | null> {
    while (this.#buf.length < n) {
      if (!(await this.#more())) {
        if (this.#buf.length === 0) return null
        throw new TarFormatError('the archive ends in the middle of an entry')
      }
    }
    const out = this.#buf.subarray(0, n)
    this.#buf = this.#buf.subarray(n)
    this.consumed += n
    return out
  }

  /** The next `n` bytes as they arrive. */
  async *chunks(n: number): AsyncGenerator<Buffer> {
    let left = n
    while (left > 0) {
      if (this.#buf.length === 0 && !(await this.#more())) {
        throw new TarFormatError('the archive ends in the middle of an entry')
      }
      const take = Math.min(left, this.#buf.length)
      const out = this.#buf.subarray(0, take)
      this.#buf = this.#buf.subarray(take)
      this.consumed += take
      left -= take
      yield out
    }
  }
}

export interface ReadEntry {
  /** As stored (pax and GNU long names applied), not yet normalised. */
  readonly name: string
  readonly type: ReturnType<typeof decodeHeader>['type']
  readonly flag: string
  readonly size: number
  readonly mode: number
  readonly linkName: string
  /** The entry's bytes; read them, or they are skipped when the next entry is asked for. */
  readonly body: () => AsyncGenerator<Buffer>
}

/** Metadata headers (pax, GNU long names) are small: a larger one is an attack or garbage. */
const MAX_META_BYTES = 1024 * 1024

/** The entries of an uncompressed tar stream, metadata headers already applied. */
export async function* readTar(source: AsyncIterable<Buffer>): AsyncGenerator<ReadEntry> {
  const r = new ByteReader(source)
  let global: Record<string, string> = {}
  let local: Record<string, string> = {}
  let longName: string | null = null
  let longLink: string | null = null
  for (;;) {
    const block = await r.read(BLOCK)
    if (block === null || isZeroBlock(block)) return
    const h = decodeHeader(block)
    const padded = h.size + padding(h.size).length
    if (h.type === 'pax' || h.type === 'pax-global' || h.type.startsWith('gnu-long')) {
      if (h.size > MAX_META_BYTES) throw new TarFormatError('tar metadata header over 1 MiB')
      const data = (await r.read(padded)) ?? Buffer.alloc(0)
      const body = data.subarray(0, h.size)
      if (h.type === 'pax') local = parsePax(body)
      else if (h.type === 'pax-global') global = { ...global, ...parsePax(body) }
      else {
        const value = body.toString('utf8').replace(/\0.*$/s, '')
        if (h.type === 'gnu-long-name') longName = value
        else longLink = value
      }
      continue
    }
    const meta = { ...global, ...local }
    const size = meta.size !== undefined ? Number(meta.size) : h.size
    if (!Number.isSafeInteger(size) || size < 0) throw new TarFormatError('tar header: bad size')
    let used = false
    const entry: ReadEntry = {
      name: meta.path ?? longName ?? h.name,
      type: h.type,
      flag: h.flag,
      size,
      mode: h.mode,
      linkName: meta.linkpath ?? longLink ?? h.linkName,
      body: () => {
        used = true
        return r.chunks(size)
      },
    }
    local = {}
    longName = null
    longLink = null
    yield entry
    if (!used) for await (const _ of r.chunks(size)) void _
    await r.read(padding(size).length)
  }
}

// ---------------------------------------------------------------------------------------------
// Unpacking
// ---------------------------------------------------------------------------------------------

export interface UnpackOptions {
  /** Most bytes of file content the archive may unpack to. */
  readonly maxBytes: number
  /** Most entries it may hold. */
  readonly maxEntries: number
  /** Root-level names the archive may not contain (e.g. `state.json`), with why. */
  readonly reserved?: ReadonlyMap<string, string>
}

export interface Unpacked {
  readonly files: number
  readonly bytes: number
}

const KIND_REFUSED: Partial<Record<ReadEntry['type'], string>> = {
  'character-device': 'device files are not allowed',
  'block-device': 'device files are not allowed',
  fifo: 'named pipes are not allowed',
}

/** Unpacks into `dest` (an existing, empty folder) without ever writing or linking outside it. */
class Unpacker {
  readonly #dest: string
  readonly #o: UnpackOptions
  readonly problems: string[] = []
  readonly #files = new Set<string>()
  readonly #dirs = new Set<string>([''])
  readonly #links: Array<{ name: string; target: string }> = []
  files = 0
  bytes = 0

  constructor(dest: string, o: UnpackOptions) {
    this.#dest = dest
    this.#o = o
  }

  #problem(name: string, why: string): void {
    if (this.problems.length < 50) this.problems.push(`entry '${name}': ${why}`)
  }

  /** Creates the parents of `name` as real folders; false (with a problem) if one is not one. */
  async #parents(name: string): Promise<boolean> {
    const parts = name.split('/').slice(0, -1)
    for (let i = 1; i <= parts.length; i++) {
      const rel = parts.slice(0, i).join('/')
      if (this.#dirs.has(rel)) continue
      if (this.#files.has(rel)) {
        this.#problem(name, `'${rel}' is a file in this archive, not a folder`)
        return false
      }
      if (this.#links.some((l) => l.name === rel)) {
        this.#problem(name, `the path goes through the link '${rel}'`)
        return false
      }
      await mkdir(join(this.#dest, rel))
      this.#dirs.add(rel)
    }
    return true
  }

  async entry(e: ReadEntry): Promise<void> {
    const checked = normalizeEntryName(e.name)
    if (!checked.ok) return this.#problem(e.name, checked.why)
    const name = checked.name
    const refused = KIND_REFUSED[e.type]
    if (refused) return this.#problem(name, refused)
    if (e.type === 'unsupported') {
      return this.#problem(name, `entries of type '${e.flag}' are not supported`)
    }
    const reserved = !name.includes('/') ? this.#o.reserved?.get(name) : undefined
    if (reserved) return this.#problem(name, reserved)
    if (this.#dirs.has(name) && e.type !== 'directory') {
      return this.#problem(name, 'a folder of this archive has the same name')
    }
    if (e.type === 'symlink' && !linkStaysInside(name, e.linkName)) {
      return this.#problem(name, `the link points outside the archive ('${e.linkName}')`)
    }
    if (e.type === 'hardlink' && !normalizeEntryName(e.linkName).ok) {
      return this.#problem(name, `the hard link points outside the archive ('${e.linkName}')`)
    }
    if (this.problems.length > 0) return // only look for more problems
    if (!(await this.#parents(name))) return
    switch (e.type) {
      case 'directory':
        if (this.#files.has(name))
          return this.#problem(name, 'a file of this archive has the same name')
        if (!this.#dirs.has(name)) await mkdir(join(this.#dest, name))
        this.#dirs.add(name)
        return
      case 'file':
        return this.#file(name, e)
      case 'hardlink':
        return this.#hardlink(name, e.linkName)
      case 'symlink':
        this.#links.push({ name, target: e.linkName })
        return
      case 'character-device':
      case 'block-device':
      case 'fifo':
      case 'pax':
      case 'pax-global':
      case 'gnu-long-name':
      case 'gnu-long-link':
        return this.#problem(name, `entries of type '${e.flag}' are not supported`)
      default:
        return assertNever(e.type, 'tar entry type')
    }
  }

  async #file(name: string, e: ReadEntry): Promise<void> {
    this.bytes += e.size
    this.files += 1
    if (this.bytes > this.#o.maxBytes) {
      return this.#problem(name, `the archive unpacks to more than ${this.#o.maxBytes} bytes`)
    }
    const path = join(this.#dest, name)
    // A later entry of the same name replaces the earlier one, as tar does.
    if (this.#files.has(name)) await unlink(path)
    const fh = await open(path, 'wx', (e.mode & 0o111) !== 0 ? 0o755 : 0o644)
    try {
      for await (const chunk of e.body()) await fh.write(chunk)
    } finally {
      await fh.close()
    }
    this.#files.add(name)
  }

  async #hardlink(name: string, rawTarget: string): Promise<void> {
    const target = normalizeEntryName(rawTarget)
    if (!target.ok || !this.#files.has(target.name)) {
      const what = target.ok ? target.name : rawTarget
      return this.#problem(
        name,
        `hard link to '${what}', which is not a file earlier in the archive`,
      )
    }
    const path = join(this.#dest, name)
    if (this.#files.has(name)) await unlink(path)
    await copyFile(target.name === name ? path : join(this.#dest, target.name), path)
    this.#files.add(name)
  }

  /** Links last: no entry is ever written through one. */
  async finish(): Promise<void> {
    for (const l of this.#links) {
      if (this.#files.has(l.name) || this.#dirs.has(l.name)) {
        this.#problem(l.name, 'a file or folder of this archive has the same name')
        continue
      }
      const path = join(this.#dest, l.name)
      await lstat(path).then(
        () => unlink(path),
        () => undefined,
      )
      await symlink(l.target, path)
    }
  }
}

/**
 * Unpacks a gzip tar stream into `dest`. Throws TarArchiveError naming every refused entry (and
 * for a stream that is not a gzip tar at all); the caller then removes `dest`.
 */
export async function unpackArchive(
  source: AsyncIterable<Buffer>,
  dest: string,
  o: UnpackOptions,
): Promise<Unpacked> {
  const u = new Unpacker(dest, o)
  const gunzip = createGunzip()
  const input = Readable.from(source)
  pipeline(input, gunzip, () => undefined)
  let entries = 0
  try {
    for await (const e of readTar(gunzip as AsyncIterable<Buffer>)) {
      entries += 1
      if (entries > o.maxEntries) {
        u.problems.push(`the archive has more than ${o.maxEntries} entries`)
        break
      }
      await u.entry(e)
      if (u.bytes > o.maxBytes) break
    }
  } catch (err) {
    const e = coerceError(err)
    const zlib = /^Z_/.test(String((e as { code?: unknown }).code))
    if (!(e instanceof TarFormatError) && !zlib) throw e
    const why = zlib ? `not a readable gzip tar archive (${e.message})` : e.message
    throw new TarArchiveError([...u.problems, why])
  } finally {
    gunzip.destroy()
    input.destroy()
  }
  if (u.problems.length === 0) await u.finish()
  if (u.problems.length > 0) throw new TarArchiveError(u.problems)
  return { files: u.files, bytes: u.bytes }
}
