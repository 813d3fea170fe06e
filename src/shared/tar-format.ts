/**
 * The tar format (POSIX ustar with pax extended headers, and GNU long names when reading), as
 * pure functions over 512-byte blocks: what task state travels and rests in (gzip tar archives).
 * Writing emits only directories, regular files and symbolic links; reading understands every
 * header a common `tar` produces and leaves to the caller what to accept.
 */

export const BLOCK = 512

/** The kinds of entry a header can announce. */
export type TarEntryType =
  | 'file'
  | 'directory'
  | 'symlink'
  | 'hardlink'
  | 'character-device'
  | 'block-device'
  | 'fifo'
  /** pax extended header for the next entry (`x`) or for all that follow (`g`). */
  | 'pax'
  | 'pax-global'
  /** GNU long name (`L`) or long link target (`K`) for the next entry. */
  | 'gnu-long-name'
  | 'gnu-long-link'
  | 'unsupported'

export interface TarHeader {
  readonly name: string
  readonly type: TarEntryType
  /** The raw type flag, for messages about unsupported entries. */
  readonly flag: string
  readonly size: number
  readonly mode: number
  readonly mtime: number
  readonly linkName: string
}

export class TarFormatError extends Error {}

const TYPES: Readonly<Record<string, TarEntryType>> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'character-device',
  '4': 'block-device',
  '5': 'directory',
  '6': 'fifo',
  x: 'pax',
  g: 'pax-global',
  L: 'gnu-long-name',
  K: 'gnu-long-link',
}

function text(block: Uint8Array, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length)
  const end = field.indexOf(0)
  return Buffer.from(end === -1 ? field : field.subarray(0, end)).toString('utf8')
}

/** An octal number field, or a base-256 one (first byte 0x80) as GNU tar writes large sizes. */
function number(block: Uint8Array, offset: number, length: number, what: string): number {
  const field = block.subarray(offset, offset + length)
  if ((field[0]! & 0x80) !== 0) {
    let value = field[0]! & 0x7f
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!
    if (!Number.isSafeInteger(value)) throw new TarFormatError(`tar header: ${what} is too large`)
    return value
  }
  const digits = Buffer.from(field).toString('latin1').replace(/\0.*$/s, '').trim()
  if (digits === '') return 0
  if (!/^[0-7]+$/.test(digits)) {
    throw new TarFormatError(`tar header: ${what} is not an octal number ('${digits}')`)
  }
  return parseInt(digits, 8)
}

function checksumOf(block: Uint8Array): number {
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i]!
  return sum
}

export function isZeroBlock(block: Uint8Array): boolean {
  for (const b of block) if (b !== 0) return false
  return true
}

/** Decodes one header block (not a zero block); throws TarFormatError on a corrupt one. */
export function decodeHeader(block: Uint8Array): TarHeader {
  if (block.length !== BLOCK) throw new TarFormatError('tar header: truncated block')
  const stored = number(block, 148, 8, 'checksum')
  if (stored !== checksumOf(block)) {
    throw new TarFormatError('tar header: bad checksum (not a tar archive, or a corrupt one)')
  }
  const flag = String.fromCharCode(block[156]!)
  const ustar = text(block, 257, 6) === 'ustar'
  const base = text(block, 0, 100)
  const prefix = ustar ? text(block, 345, 155) : ''
  return {
    name: prefix === '' ? base : `${prefix}/${base}`,
    type: TYPES[flag] ?? 'unsupported',
    flag,
    size: number(block, 124, 12, 'size'),
    mode: number(block, 100, 8, 'mode'),
    mtime: number(block, 136, 12, 'mtime'),
    linkName: text(block, 157, 100),
  }
}

/** The records of a pax extended header (`<length> <key>=<value>\n` each). */
export function parsePax(data: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {}
  const buf = Buffer.from(data)
  let at = 0
  while (at < buf.length) {
    const space = buf.indexOf(0x20, at)
    if (space === -1) break
    const length = Number(buf.toString('latin1', at, space))
    if (!Number.isInteger(length) || length <= 0 || at + length > buf.length) {
      throw new TarFormatError('tar pax header: malformed record')
    }
    const record = buf.toString('utf8', space + 1, at + length - 1)
    const eq = record.indexOf('=')
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1)
    at += length
  }
  return out
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`
  const bodyBytes = Buffer.byteLength(body)
  let length = bodyBytes + 1
  while (String(length).length + bodyBytes !== length) length = String(length).length + bodyBytes
  return `${length}${body}`
}

function writeText(block: Buffer, offset: number, length: number, value: string): void {
  block.write(value, offset, length, 'utf8')
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length, 'latin1')
}

const FLAGS: Readonly<Record<'file' | 'directory' | 'symlink' | 'pax', string>> = {
  file: '0',
  directory: '5',
  symlink: '2',
  pax: 'x',
}

/** Fits the ustar name fields when the name is ASCII and short enough, else null. */
function ustarName(name: string): { name: string; prefix: string } | null {
  if (!/^[\x20-\x7e]*$/.test(name)) return null
  if (name.length <= 100) return { name, prefix: '' }
  for (let i = name.lastIndexOf('/'); i > 0; i = name.lastIndexOf('/', i - 1)) {
    if (i <= 155 && name.length - i - 1 <= 100) {
      return { prefix: name.slice(0, i), name: name.slice(i + 1) }
    }
  }
  return null
}

function headerBlock(
  e: { name: string; prefix: string; type: keyof typeof FLAGS; size: number; mode: number },
  mtime: number,
  linkName: string,
): Buffer {
  const block = Buffer.alloc(BLOCK)
  writeText(block, 0, 100, e.name)
  writeOctal(block, 100, 8, e.mode)
  writeOctal(block, 108, 8, 0)
  writeOctal(block, 116, 8, 0)
  writeOctal(block, 124, 12, e.size)
  writeOctal(block, 136, 12, mtime)
  block.write(FLAGS[e.type], 156, 1, 'latin1')
  writeText(block, 157, 100, linkName)
  block.write('ustar\0', 257, 6, 'latin1')
  block.write('00', 263, 2, 'latin1')
  writeText(block, 345, 155, e.prefix)
  block.write(`${checksumOf(block).toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1')
  return block
}

export interface TarEntryHead {
  /** Relative, `/`-separated; directories without a trailing slash. */
  readonly name: string
  readonly type: 'file' | 'directory' | 'symlink'
  readonly size: number
  readonly mode: number
  /** Seconds since the epoch. */
  readonly mtime: number
  readonly linkName?: string
}

/** Pads a file body of `size` bytes to whole blocks. */
export function padding(size: number): Buffer {
  const rest = size % BLOCK
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest)
}

/**
 * The header block(s) of one entry: a pax header first when the name or link target does not
 * fit ustar (long, or not ASCII), then the ustar header itself.
 */
export function encodeHeader(e: TarEntryHead): Buffer {
  const fullName = e.type === 'directory' ? `${e.name}/` : e.name
  const link = e.linkName ?? ''
  const fitted = ustarName(fullName)
  const linkFits = link.length <= 100 && /^[\x20-\x7e]*$/.test(link)
  const mtime = Math.max(0, Math.floor(e.mtime))
  const size = e.type === 'file' ? e.size : 0
  const main = headerBlock(
    {
      ...(fitted ?? { name: Buffer.from(fullName).toString('latin1').slice(0, 100), prefix: '' }),
      type: e.type,
      size,
      mode: e.mode & 0o7777,
    },
    mtime,
    linkFits ? link : '',
  )
  if (fitted && linkFits) return main
  const records =
    (fitted ? '' : paxRecord('path', fullName)) + (linkFits ? '' : paxRecord('linkpath', link))
  const data = Buffer.from(records, 'utf8')
  const pax = headerBlock(
    { name: 'PaxHeader', prefix: '', type: 'pax', size: data.length, mode: 0o644 },
    mtime,
    '',
  )
  return Buffer.concat([pax, data, padding(data.length), main])
}

/** The two zero blocks that end an archive. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK)

/** Whether `s` holds a C0 control character or DEL. */
export function hasControlCharacters(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 || c === 0x7f) return true
  }
  return false
}

/**
 * The normalised form of an entry name (no `./` prefix, no trailing slash), or why it is refused:
 * absolute, escaping the root with `..`, empty, or holding control characters.
 */
export function normalizeEntryName(
  raw: string,
): { ok: true; name: string } | { ok: false; why: string } {
  if (hasControlCharacters(raw)) return { ok: false, why: 'the name holds control characters' }
  if (raw.startsWith('/') || /^[A-Za-z]:[\\/]/.test(raw)) {
    return { ok: false, why: 'the name is an absolute path' }
  }
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.')
  if (parts.includes('..')) return { ok: false, why: "the name escapes the root with '..'" }
  if (parts.length === 0) return { ok: false, why: 'the name is empty' }
  return { ok: true, name: parts.join('/') }
}

/**
 * Whether a symbolic link at `name` pointing to `target` stays inside the archive root, read as
 * text (relative to the link's folder). Absolute targets never do.
 */
export function linkStaysInside(name: string, target: string): boolean {
  if (target === '' || target.startsWith('/') || /^[A-Za-z]:[\\/]/.test(target)) return false
  const stack = name.split('/').slice(0, -1)
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') {
      if (stack.length === 0) return false
      stack.pop()
    } else stack.push(part)
  }
  return true
}
