import { expect } from 'chai'
import { appendFile, mkdtemp, readFile, rm, truncate } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { logFilePath } from '../../../src/logs/jsonl-file.ts'
import { createJsonlLogStore } from '../../../src/logs/jsonl-log-store.ts'
import { createLogHub } from '../../../src/logs/log-hub.ts'
import type { LogHub } from '../../../src/logs/log-hub.ts'
import type { NewLogLine } from '../../../src/logs/log-record.ts'
import type { LogStore } from '../../../src/logs/log-store.ts'
import { newJobId } from '../../../src/shared/ids.ts'

const TODAY = new Date('2026-03-02T10:00:00Z')

function line(text: string, step = 'build', stream: 'stdout' | 'stderr' = 'stdout'): NewLogLine {
  return { ts: '2026-03-02T10:00:00.000Z', stream, step, line: text }
}

async function fileLines(file: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(file, 'utf8')
  expect(text.endsWith('\n')).to.equal(true)
  return text
    .slice(0, -1)
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

describe('JSONL log store', () => {
  let dir: string
  let hub: LogHub
  let store: LogStore
  const open = (opts: { maxOpenFiles?: number } = {}) =>
    createJsonlLogStore({ dir, hub, now: () => TODAY, ...opts })

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'weir-logs-test-'))
    hub = createLogHub()
    store = open()
  })
  afterEach(async () => {
    await store.closeAll()
    await rm(dir, { recursive: true, force: true })
  })

  it('writes records to <dir>/<yyyy>/<mm>/<dd>/<job_id>.jsonl dated (UTC) by the v7 id', async () => {
    const jobId = '019b76da-a418-7000-8000-000000000001'
    const res = await store.append(jobId, [line('hello'), line('oops', 'build', 'stderr')])
    expect(res.firstSeq).to.equal(1)
    expect(res.lastSeq).to.equal(2)
    const file = path.join(dir, '2025', '12', '31', `${jobId}.jsonl`)
    expect(logFilePath(dir, jobId, TODAY)).to.equal(file)
    const text = await readFile(file, 'utf8')
    expect(text).to.equal(
      '{"ts":"2026-03-02T10:00:00.000Z","stream":"stdout","step":"build","line":"hello","seq":1}\n' +
        '{"ts":"2026-03-02T10:00:00.000Z","stream":"stderr","step":"build","line":"oops","seq":2}\n',
    )
    expect(res.records.map((r) => r.json)).to.deep.equal(text.trimEnd().split('\n'))
  })

  it('falls back to the given day for ids that are not uuid v7', async () => {
    await store.append('not-a-v7-id', [line('x')])
    const text = await readFile(path.join(dir, '2026', '03', '02', 'not-a-v7-id.jsonl'), 'utf8')
    expect(text).to.contain('"seq":1')
  })

  it('rejects ids that could leave the log directory', async () => {
    const failure = await store.append('../evil', [line('x')]).then(
      () => null,
      (e: Error) => e,
    )
    expect(failure?.message).to.match(/invalid job id/)
    const readFailure = await store.read('../evil').then(
      () => null,
      (e: Error) => e,
    )
    expect(readFailure?.message).to.match(/invalid job id/)
  })

  it('keeps seq gapless and the file in order under many concurrent appenders', async () => {
    const jobId = newJobId()
    const callers = Array.from({ length: 40 }, async (_, c) => {
      for (let i = 0; i < 10; i++) {
        await store.append(jobId, [line(`c${c} i${i} a`), line(`c${c} i${i} b`)])
      }
    })
    await Promise.all(callers)
    const rows = await fileLines(logFilePath(dir, jobId, TODAY))
    expect(rows.map((r) => r.seq)).to.deep.equal(rows.map((_, i) => i + 1))
    expect(rows).to.have.length(800)
    for (let c = 0; c < 40; c++) {
      const mine = rows.map((r) => String(r.line)).filter((l) => l.startsWith(`c${c} `))
      const expected = Array.from({ length: 10 }, (_, i) => [`c${c} i${i} a`, `c${c} i${i} b`])
      expect(mine).to.deep.equal(expected.flat())
    }
    expect(await store.lastSeq(jobId)).to.equal(800)
  })

  it('publishes to the hub only after the lines are in the file', async () => {
    const jobId = newJobId()
    const file = logFilePath(dir, jobId, TODAY)
    const checks: Array<Promise<boolean>> = []
    hub.subscribe(jobId, {
      onLines: (records) => {
        const last = records[records.length - 1]!
        checks.push(readFile(file, 'utf8').then((t) => t.includes(last.json)))
      },
      onEnd: () => undefined,
    })
    await store.append(jobId, [line('a')])
    await store.append(jobId, [line('b'), line('c')])
    expect(await Promise.all(checks)).to.deep.equal([true, true])
  })

  it('continues the seq after a restart', async () => {
    const jobId = newJobId()
    await store.append(jobId, [line('1'), line('2')])
    await store.closeAll()
    store = open()
    expect(await store.lastSeq(jobId)).to.equal(2)
    const res = await store.append(jobId, [line('3')])
    expect(res.firstSeq).to.equal(3)
    const rows = await fileLines(logFilePath(dir, jobId, TODAY))
    expect(rows.map((r) => r.seq)).to.deep.equal([1, 2, 3])
  })

  it('cuts a torn last line on reopen so the file stays valid JSONL', async () => {
    const jobId = newJobId()
    await store.append(jobId, [line('1'), line('2')])
    await store.closeAll()
    const file = logFilePath(dir, jobId, TODAY)
    await appendFile(file, '{"ts":"2026-03-02T10:00:00.000Z","stream":"stdout","st')
    store = open()
    const read = await store.read(jobId)
    expect(read.lastSeq).to.equal(2)
    expect(read.lines).to.have.length(2)
    const res = await store.append(jobId, [line('3')])
    expect(res.firstSeq).to.equal(3)
    const rows = await fileLines(file)
    expect(rows.map((r) => r.line)).to.deep.equal(['1', '2', '3'])
  })

  it('recovers from a file cut in the middle of a line, and from an empty file', async () => {
    const jobId = newJobId()
    await store.append(jobId, [line('one'), line('two')])
    await store.closeAll()
    const file = logFilePath(dir, jobId, TODAY)
    const size = Buffer.byteLength(await readFile(file, 'utf8'))
    await truncate(file, size - 10)
    store = open()
    expect((await store.append(jobId, [line('again')])).firstSeq).to.equal(2)
    await store.closeAll()
    await truncate(file, 0)
    store = open()
    expect((await store.append(jobId, [line('fresh')])).firstSeq).to.equal(1)
  })

  it('reads after a seq and by step, reporting the last seq of the whole log', async () => {
    const jobId = newJobId()
    await store.append(jobId, [line('s1', '_server'), line('a1', 'a'), line('b1', 'b')])
    await store.append(jobId, [line('a2', 'a'), line('s2', '_server')])
    const all = await store.read(jobId)
    expect(all.lines.map((l) => (JSON.parse(l) as { line: string }).line)).to.deep.equal([
      's1',
      'a1',
      'b1',
      'a2',
      's2',
    ])
    expect(all.lastSeq).to.equal(5)
    const after = await store.read(jobId, { afterSeq: 2 })
    expect(after.lines.map((l) => (JSON.parse(l) as { seq: number }).seq)).to.deep.equal([3, 4, 5])
    const stepA = await store.read(jobId, { step: 'a', afterSeq: 2 })
    expect(stepA.lines.map((l) => (JSON.parse(l) as { line: string }).line)).to.deep.equal(['a2'])
    expect(stepA.lastSeq).to.equal(5)
    expect(await store.read(jobId, { afterSeq: 5 })).to.deep.equal({ lines: [], lastSeq: 5 })
    expect(await store.read(newJobId())).to.deep.equal({ lines: [], lastSeq: 0 })
    expect(await store.lastSeq(newJobId())).to.equal(0)
  })

  it('finds lines after a high seq in a big log, in memory and after a restart', async () => {
    const jobId = newJobId()
    const payload = 'x'.repeat(200)
    for (let b = 0; b < 40; b++) {
      const batch = Array.from({ length: 250 }, (_, i) => line(`${b * 250 + i + 1} ${payload}`))
      await store.append(jobId, batch)
    }
    for (const s of [() => store, () => open()]) {
      const reader = s()
      for (const afterSeq of [0, 1, 4999, 9990, 9999, 10000]) {
        const { lines, lastSeq } = await reader.read(jobId, { afterSeq })
        expect(lastSeq).to.equal(10000)
        expect(lines).to.have.length(10000 - afterSeq)
        if (lines.length > 0) expect(JSON.parse(lines[0]!)).to.include({ seq: afterSeq + 1 })
      }
    }
  })

  it('masks secrets set for the job, and only for that job', async () => {
    const jobId = newJobId()
    const other = newJobId()
    store.addSecrets(jobId, ['s3cr3t-value', 'abc'])
    const res = await store.append(jobId, [line('token=s3cr3t-value abc')])
    await store.append(other, [line('token=s3cr3t-value')])
    expect(res.records[0]!.json).to.contain('"line":"token=****** abc"')
    const theirs = await store.read(other)
    expect(theirs.lines[0]).to.contain('s3cr3t-value')
  })

  it('adds to a job set rather than replacing it', async () => {
    const jobId = newJobId()
    store.addSecrets(jobId, ['first-secret'])
    store.addSecrets(jobId, ['second-secret'])
    const res = await store.append(jobId, [line('first-secret second-secret')])
    expect(res.records[0]!.json).to.contain('"line":"****** ******"')
  })

  it('loads the secret set of a job it has not been told about before its first line', async () => {
    await store.closeAll()
    const loaded: string[] = []
    store = createJsonlLogStore({
      dir,
      hub,
      now: () => TODAY,
      loadSecrets: async (id) => {
        loaded.push(id)
        return ['restart-secret']
      },
    })
    const jobId = newJobId()
    await store.append(jobId, [line('a restart-secret')])
    await store.append(jobId, [line('restart-secret again')])
    expect(loaded).to.deep.equal([jobId])
    const rows = await fileLines(logFilePath(dir, jobId, TODAY))
    expect(rows.map((r) => r.line)).to.deep.equal(['a ******', '****** again'])
  })

  it('masks a secret cut between two pieces of an overlong line', async () => {
    const jobId = newJobId()
    store.addSecrets(jobId, ['cut-in-half-secret'])
    const first = { ...line('x'.repeat(100) + 'cut-in-'), continues: true }
    const other = line('other step line', 'deploy')
    await store.append(jobId, [first, other])
    await store.append(jobId, [line('half-secret end')])
    const text = await readFile(logFilePath(dir, jobId, TODAY), 'utf8')
    expect(text).not.to.contain('cut-in')
    expect(text).not.to.contain('half-secret')
    const rows = await fileLines(logFilePath(dir, jobId, TODAY))
    const build = rows.filter((r) => r.step === 'build').map((r) => r.line)
    expect(build.join('')).to.equal('x'.repeat(100) + '****** end')
  })

  it('splits long lines into consecutive records and repairs lone surrogates', async () => {
    const jobId = newJobId()
    const res = await store.append(jobId, [line('a'.repeat(200 * 1024)), line('bad\uD800')])
    expect(res.records.map((r) => r.seq)).to.deep.equal([1, 2, 3, 4, 5])
    const rows = await fileLines(logFilePath(dir, jobId, TODAY))
    expect(rows.map((r) => String(r.line).length)).to.deep.equal([65536, 65536, 65536, 8192, 4])
    expect(rows[4]!.line).to.equal('bad\uFFFD')
  })

  it('stays correct when more jobs are active than open files allowed', async () => {
    await store.closeAll()
    store = open({ maxOpenFiles: 2 })
    const jobs = Array.from({ length: 5 }, () => newJobId())
    for (let round = 0; round < 4; round++) {
      await Promise.all(jobs.map((j) => store.append(j, [line(`r${round}`)])))
    }
    for (const j of jobs) {
      const rows = await fileLines(logFilePath(dir, j, TODAY))
      expect(rows.map((r) => [r.seq, r.line])).to.deep.equal([
        [1, 'r0'],
        [2, 'r1'],
        [3, 'r2'],
        [4, 'r3'],
      ])
    }
  })

  it('reopens a closed log on the next append, continuing the seq', async () => {
    const jobId = newJobId()
    await store.append(jobId, [line('1')])
    await store.close(jobId)
    await store.close(jobId)
    const res = await store.append(jobId, [line('2')])
    expect(res.firstSeq).to.equal(2)
    expect(await store.lastSeq(jobId)).to.equal(2)
  })

  it('returns an empty range for an empty append', async () => {
    const jobId = newJobId()
    await store.append(jobId, [line('1')])
    expect(await store.append(jobId, [])).to.deep.equal({ firstSeq: 2, lastSeq: 1, records: [] })
  })
})
