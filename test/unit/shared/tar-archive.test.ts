import { expect } from 'chai'
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import {
  packDirectory,
  readTar,
  TarArchiveError,
  unpackArchive,
} from '../../../src/shared/tar-archive.ts'
import {
  BLOCK,
  decodeHeader,
  encodeHeader,
  END_OF_ARCHIVE,
  linkStaysInside,
  normalizeEntryName,
  padding,
  parsePax,
} from '../../../src/shared/tar-format.ts'

const LIMITS = { maxBytes: 1024 * 1024, maxEntries: 1000 }

/** A raw ustar header block with any type flag (the writer makes only files, folders and links). */
function raw(name: string, flag: string, opts: { link?: string; size?: number } = {}): Buffer {
  const b = Buffer.alloc(BLOCK)
  b.write(name, 0, 100)
  b.write('0000644\0', 100)
  b.write('0000000\0', 108)
  b.write('0000000\0', 116)
  b.write(`${(opts.size ?? 0).toString(8).padStart(11, '0')}\0`, 124)
  b.write('00000000000\0', 136)
  b.fill(' ', 148, 156)
  b.write(flag, 156)
  b.write(opts.link ?? '', 157, 100)
  b.write('ustar\u000000', 257)
  let sum = 0
  for (const x of b) sum += x
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148)
  return b
}

function file(name: string, content: string): Buffer {
  const data = Buffer.from(content)
  return Buffer.concat([
    encodeHeader({ name, type: 'file', size: data.length, mode: 0o644, mtime: 0 }),
    data,
    padding(data.length),
  ])
}

const gz = (...parts: Buffer[]) =>
  Readable.from([gzipSync(Buffer.concat([...parts, END_OF_ARCHIVE]))])

/** The problems an unpack refused with (none: it succeeded). */
async function problemsOf(p: Promise<unknown>): Promise<ReadonlyArray<string>> {
  return p.then(
    () => [],
    (e: TarArchiveError) => e.problems,
  )
}

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const c of stream) parts.push(c as Buffer)
  return Buffer.concat(parts)
}

describe('tar format (shared/tar-format.ts)', () => {
  it('normalises entry names and refuses the ones that leave the root', () => {
    const table: Array<[string, string | RegExp]> = [
      ['a/b.txt', 'a/b.txt'],
      ['./a//b/', 'a/b'],
      ['../evil', /escapes the root/],
      ['a/../../evil', /escapes the root/],
      ['/etc/passwd', /absolute/],
      ['C:\\x', /absolute/],
      ['a\nb', /control characters/],
      ['./', /empty/],
    ]
    for (const [input, want] of table) {
      const got = normalizeEntryName(input)
      if (typeof want === 'string') expect(got, input).to.deep.equal({ ok: true, name: want })
      else expect(got.ok ? '' : got.why, input).to.match(want)
    }
  })

  it('tells links that stay inside from the ones that point out', () => {
    const table: Array<[string, string, boolean]> = [
      ['link', 'target.txt', true],
      ['dir/link', '../target.txt', true],
      ['dir/link', '../../etc/passwd', false],
      ['link', '/etc/passwd', false],
      ['link', '..', false],
      ['a/b/link', '../../c', true],
      ['link', '', false],
    ]
    for (const [name, target, inside] of table)
      expect(linkStaysInside(name, target), `${name} -> ${target}`).to.equal(inside)
  })

  it('writes long and non-ASCII names through a pax header and reads them back', async () => {
    const long = `${'deep/'.repeat(40)}f.txt`
    const parts = [long, 'ünïcode.txt', 'short.txt'].map((n) => file(n, n))
    const names: string[] = []
    for await (const e of readTar(Readable.from([Buffer.concat([...parts, END_OF_ARCHIVE])])))
      names.push(e.name)
    expect(names).to.deep.equal([long, 'ünïcode.txt', 'short.txt'])
  })

  it('rejects a header whose checksum does not match', () => {
    const block = Buffer.from(
      encodeHeader({ name: 'x', type: 'file', size: 1, mode: 0o644, mtime: 0 }),
    )
    block[0] = 0x79
    expect(() => decodeHeader(block)).to.throw(/bad checksum/)
  })

  it('parses pax records', () => {
    expect(parsePax(Buffer.from('18 path=a/b/c.txt\n11 size=42\n'))).to.deep.equal({
      path: 'a/b/c.txt',
      size: '42',
    })
  })
})

describe('tar archives (shared/tar-archive.ts)', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'weir-tar-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('packs a folder and unpacks it again: files, folders, the exec bit, inside links', async () => {
    const src = join(dir, 'src')
    mkdirSync(join(src, 'sub/deeper'), { recursive: true })
    writeFileSync(join(src, 'a.txt'), 'hello')
    writeFileSync(join(src, 'sub/run.sh'), '#!/bin/sh\n', { mode: 0o755 })
    writeFileSync(join(src, 'sub/deeper/big.bin'), Buffer.alloc(70_000, 7))
    writeFileSync(join(src, 'empty'), '')
    symlinkSync('sub/run.sh', join(src, 'inside'))
    symlinkSync('/etc/passwd', join(src, 'outside'))
    const skipped: string[] = []
    const packed = await collect(
      packDirectory(src, {
        extra: [{ name: 'state.json', data: Buffer.from('{"a":1}') }],
        exclude: (n) => n === 'a.txt',
        onSkippedLink: (n) => skipped.push(n),
      }),
    )
    expect(skipped).to.deep.equal(['outside'])
    const out = join(dir, 'out')
    mkdirSync(out)
    const res = await unpackArchive(Readable.from([packed]), out, LIMITS)
    expect(res).to.deep.equal({ files: 4, bytes: 70_000 + 10 + 7 })
    expect(readdirSync(out).sort()).to.deep.equal(['empty', 'inside', 'state.json', 'sub'])
    expect(readFileSync(join(out, 'state.json'), 'utf8')).to.equal('{"a":1}')
    expect(readFileSync(join(out, 'sub/deeper/big.bin'))).to.deep.equal(Buffer.alloc(70_000, 7))
    expect(statSync(join(out, 'sub/run.sh')).mode & 0o100).to.equal(0o100)
    expect(readlinkSync(join(out, 'inside'))).to.equal('sub/run.sh')
  })

  it('refuses every hostile entry at once, naming each, and writes none of them', async () => {
    const out = join(dir, 'out')
    mkdirSync(out)
    const err = await unpackArchive(
      gz(
        file('ok.txt', 'fine'),
        raw('../escape.txt', '0'),
        raw('/etc/abs.txt', '0'),
        raw('link-out', '2', { link: '../../etc/passwd' }),
        raw('abs-link', '2', { link: '/etc/passwd' }),
        raw('hard-out', '1', { link: '../x' }),
        raw('dev', '3'),
        raw('blk', '4'),
        raw('pipe', '6'),
        file('state.json', '{}'),
      ),
      out,
      { ...LIMITS, reserved: new Map([['state.json', 'a root-level state.json is not allowed']]) },
    ).then(
      () => null,
      (e: unknown) => e,
    )
    expect(err).to.be.instanceOf(TarArchiveError)
    expect((err as TarArchiveError).problems).to.deep.equal([
      "entry '../escape.txt': the name escapes the root with '..'",
      "entry '/etc/abs.txt': the name is an absolute path",
      "entry 'link-out': the link points outside the archive ('../../etc/passwd')",
      "entry 'abs-link': the link points outside the archive ('/etc/passwd')",
      "entry 'hard-out': the hard link points outside the archive ('../x')",
      "entry 'dev': device files are not allowed",
      "entry 'blk': device files are not allowed",
      "entry 'pipe': named pipes are not allowed",
      "entry 'state.json': a root-level state.json is not allowed",
    ])
    expect(existsSync(join(dir, 'escape.txt'))).to.equal(false)
  })

  it('never writes through a link, even one pointing inside', async () => {
    const out = join(dir, 'out')
    mkdirSync(out)
    const err = await unpackArchive(
      gz(raw('here', '2', { link: '.' }), file('here/x.txt', 'x')),
      out,
      LIMITS,
    ).then(
      () => null,
      (e: TarArchiveError) => e,
    )
    expect(err?.problems).to.deep.equal([
      "entry 'here/x.txt': the path goes through the link 'here'",
    ])
  })

  it('copies a hard link to an earlier file', async () => {
    const out = join(dir, 'out')
    mkdirSync(out)
    await unpackArchive(gz(file('a.txt', 'A'), raw('b.txt', '1', { link: 'a.txt' })), out, LIMITS)
    expect(readFileSync(join(out, 'b.txt'), 'utf8')).to.equal('A')
    expect(lstatSync(join(out, 'b.txt')).isFile()).to.equal(true)
  })

  it('stops at the size and entry limits', async () => {
    const big = join(dir, 'big')
    mkdirSync(big)
    const tooBig = await unpackArchive(gz(file('a', 'x'.repeat(2000))), big, {
      maxBytes: 1000,
      maxEntries: 10,
    }).catch((e: TarArchiveError) => e.problems)
    expect(tooBig).to.deep.equal(["entry 'a': the archive unpacks to more than 1000 bytes"])
    const many = join(dir, 'many')
    mkdirSync(many)
    const tooMany = await unpackArchive(gz(file('a', 'a'), file('b', 'b'), file('c', 'c')), many, {
      maxBytes: 1000,
      maxEntries: 2,
    }).catch((e: TarArchiveError) => e.problems)
    expect(tooMany).to.deep.equal(['the archive has more than 2 entries'])
  })

  it('refuses what is not a gzip tar archive, and one cut short', async () => {
    const out = join(dir, 'out')
    mkdirSync(out)
    const notGzip = await problemsOf(
      unpackArchive(Readable.from([Buffer.from('hello')]), out, LIMITS),
    )
    expect(notGzip).to.have.length(1)
    expect(notGzip[0]).to.match(/^not a readable gzip tar archive/)
    const cut = gzipSync(file('a.txt', 'a'.repeat(2000)).subarray(0, 900))
    const short = await unpackArchive(Readable.from([cut]), out, LIMITS).catch(
      (e: TarArchiveError) => e.problems,
    )
    expect(short).to.deep.equal(['the archive ends in the middle of an entry'])
  })
})
