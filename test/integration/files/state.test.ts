import { expect } from 'chai'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { sql } from 'kysely'
import { packDirectory } from '../../../src/shared/tar-archive.ts'
import { BLOCK, encodeHeader, END_OF_ARCHIVE, padding } from '../../../src/shared/tar-format.ts'
import { buildTestApp, execute, waitForJob, type TestApp } from '../../helpers/test-app.ts'

const FILES_WS = resolve(import.meta.dirname, '../../fixtures/files')

const step = (job: Record<string, any>, name: string) =>
  job.steps.find((s: { step_name: string }) => s.step_name === name)

async function gzipTarOf(files: Record<string, string>): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'weir-state-test-'))
  try {
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true })
      writeFileSync(join(dir, name), content)
    }
    const parts: Buffer[] = []
    for await (const c of packDirectory(dir)) parts.push(c as Buffer)
    return Buffer.concat(parts)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** A raw header block with any name and type flag: what a hostile archive holds. */
function raw(name: string, flag: string, link = ''): Buffer {
  const b = Buffer.alloc(BLOCK)
  b.write(name, 0, 100)
  b.write('0000644\0', 100)
  b.write('0000000\0', 108)
  b.write('0000000\0', 116)
  b.write('00000000000\0', 124)
  b.write('00000000000\0', 136)
  b.fill(' ', 148, 156)
  b.write(flag, 156)
  b.write(link, 157, 100)
  b.write('ustar\u000000', 257)
  let sum = 0
  for (const x of b) sum += x
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148)
  return b
}

function fileEntry(name: string, content: string): Buffer {
  const data = Buffer.from(content)
  const head = encodeHeader({ name, type: 'file', size: data.length, mode: 0o644, mtime: 0 })
  return Buffer.concat([head, data, padding(data.length)])
}

const hostile = (...entries: Buffer[]) => gzipSync(Buffer.concat([...entries, END_OF_ARCHIVE]))

async function countRows(t: TestApp, table: 'state_snapshots' | 'jobs'): Promise<number> {
  const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(
    t.database.db,
  )
  return Number(rows[0]!.n)
}

function upload(t: TestApp, path: string, body: Buffer) {
  return t.request().post(path).set('Content-Type', 'application/gzip').send(body)
}

describe('task state', function () {
  this.timeout(30000)
  let t: TestApp
  before(async function () {
    this.timeout(30000)
    t = await buildTestApp({
      workspaces: { files: FILES_WS },
      env: { WEIR__STATE_STORAGE__MAX_SNAPSHOTS: '3', WEIR__STATE_STORAGE__PREFIX: 'state/' },
    })
  })
  after(() => t.close())
  beforeEach(() => t.reset())

  it('carries state from job to job: STATE: lines, files, templates and global state', async () => {
    const first = await waitForJob(t, await execute(t, 'counter', {}, 'files'))
    expect(first.status, JSON.stringify(first.steps)).to.equal('completed')
    expect(step(first, 'count').output).to.deep.equal({ count: 1 })
    // The next step of the same job already sees the snapshot the first one took.
    expect(step(first, 'check').output).to.deep.equal({
      note: 'run 1',
      json: { count: 1, note: 'run 1', kept: true },
      files: './history.txt ./state.json ',
    })
    const second = await waitForJob(t, await execute(t, 'counter', {}, 'files'))
    expect(second.status).to.equal('completed')
    expect(step(second, 'count').input).to.deep.equal({ previous: '1', global_runs: '1' })
    expect(step(second, 'count').output).to.deep.equal({ count: 2 })
    const { rows } = await sql<{ task_name: string | null; state: unknown }>`
      SELECT task_name, state FROM state_snapshots ORDER BY created_at DESC, id DESC LIMIT 2`.execute(
      t.database.db,
    )
    const byScope = Object.fromEntries(rows.map((r) => [r.task_name ?? 'global', r.state]))
    expect(byScope).to.deep.equal({
      counter: { count: 2, note: 'run 2', kept: true },
      global: { runs: 2 },
    })
  })

  it('renders state as an empty object for a task with no snapshot', async () => {
    const job = await waitForJob(t, await execute(t, 'reader', {}, 'files'))
    expect(job.status).to.equal('completed')
    expect(step(job, 'read').output).to.deep.equal({ note: 'none', json: {}, files: '' })
  })

  it('takes an upload in replace mode, then merges the next one over it', async () => {
    const first = await upload(
      t,
      '/api/workspaces/files/tasks/reader/state?note=uploaded&keep=1',
      await gzipTarOf({ 'a.txt': 'A', 'dir/b.txt': 'B' }),
    ).expect(201)
    expect(first.body).to.have.keys(['snapshot_id', 'job_id'])
    const job = await t.request().get(`/api/jobs/${first.body.job_id}`).expect(200)
    expect(job.body).to.include({ status: 'completed', source_type: 'upload', task_name: 'reader' })
    const read1 = await waitForJob(t, await execute(t, 'reader', {}, 'files'))
    expect(step(read1, 'read').output).to.deep.equal({
      note: 'uploaded',
      json: { note: 'uploaded', keep: '1' },
      files: './a.txt ./dir/b.txt ./state.json ',
    })
    await upload(
      t,
      '/api/workspaces/files/tasks/reader/state?mode=merge&note=merged',
      await gzipTarOf({ 'dir/b.txt': 'B2', 'c.txt': 'C' }),
    ).expect(201)
    const read2 = await waitForJob(t, await execute(t, 'reader', {}, 'files'))
    expect(step(read2, 'read').output).to.deep.equal({
      note: 'merged',
      json: { note: 'merged', keep: '1' },
      files: './a.txt ./c.txt ./dir/b.txt ./state.json ',
    })
    await upload(
      t,
      '/api/workspaces/files/tasks/reader/state?mode=replace',
      Buffer.alloc(0),
    ).expect(201)
    const read3 = await waitForJob(t, await execute(t, 'reader', {}, 'files'))
    expect(step(read3, 'read').output).to.deep.equal({
      note: 'none',
      json: {},
      files: './state.json ',
    })
  })

  it('takes a global upload, which the task steps see as global_state', async () => {
    await upload(t, '/api/workspaces/files/state?runs=41', Buffer.alloc(0)).expect(201)
    const job = await waitForJob(t, await execute(t, 'counter', {}, 'files'))
    expect(step(job, 'count').input).to.deep.equal({ previous: '0', global_runs: '41' })
  })

  it('keeps only the newest max_snapshots of a task', async () => {
    for (let i = 0; i < 5; i++) {
      await upload(
        t,
        `/api/workspaces/files/tasks/reader/state?i=${i}`,
        await gzipTarOf({ f: `${i}` }),
      ).expect(201)
    }
    const { rows } = await sql<{ state: { i: string } }>`
      SELECT state FROM state_snapshots WHERE task_name = 'reader'
      ORDER BY created_at DESC, id DESC`.execute(t.database.db)
    expect(rows.map((r) => r.state.i)).to.deep.equal(['4', '3', '2'])
  })

  it('refuses each hostile archive with 400 naming the entry, and records nothing', async () => {
    const cases: Array<[string, Buffer, string]> = [
      [
        'escape',
        hostile(raw('../evil.txt', '0')),
        "entry '../evil.txt': the name escapes the root with '..'",
      ],
      [
        'absolute',
        hostile(raw('/etc/evil', '0')),
        "entry '/etc/evil': the name is an absolute path",
      ],
      [
        'symlink out',
        hostile(raw('out', '2', '../../etc/passwd')),
        "entry 'out': the link points outside the archive ('../../etc/passwd')",
      ],
      [
        'hard link out',
        hostile(raw('hard', '1', '../x')),
        "entry 'hard': the hard link points outside the archive ('../x')",
      ],
      ['device', hostile(raw('dev', '3')), "entry 'dev': device files are not allowed"],
      [
        'state.json',
        hostile(fileEntry('state.json', '{}')),
        "entry 'state.json': a root-level state.json is not allowed (state values come from the query)",
      ],
    ]
    const [snapshots, jobs] = [await countRows(t, 'state_snapshots'), await countRows(t, 'jobs')]
    for (const [what, body, message] of cases) {
      const res = await upload(t, '/api/workspaces/files/tasks/reader/state', body)
      expect(res.status, what).to.equal(400)
      expect(res.body, what).to.deep.equal({
        error: `invalid state archive: ${message}`,
        code: 'bad_request',
        field: 'body',
      })
    }
    const garbage = await upload(t, '/api/workspaces/files/tasks/reader/state', Buffer.from('nope'))
    expect(garbage.status).to.equal(400)
    expect(garbage.body.error).to.match(/^invalid state archive: not a readable gzip tar archive/)
    expect(await countRows(t, 'state_snapshots')).to.equal(snapshots)
    expect(await countRows(t, 'jobs')).to.equal(jobs)
  })

  it('answers 413 at once for a body announced over 50 MiB, 404 for unknown tasks, 400 for a bad mode', async () => {
    const { port } = await t.app.listen()
    const status = await new Promise<number>((resolvePromise, reject) => {
      const req = httpRequest(
        {
          port,
          method: 'POST',
          path: '/api/workspaces/files/tasks/reader/state',
          headers: { 'content-type': 'application/gzip', 'content-length': 60 * 1024 * 1024 },
        },
        (res) => {
          res.resume()
          resolvePromise(res.statusCode ?? 0)
        },
      )
      req.on('error', reject)
      req.write(Buffer.alloc(1024))
    })
    expect(status).to.equal(413)
    const unknown = await upload(t, '/api/workspaces/files/tasks/nope/state', Buffer.alloc(0))
    expect(unknown.status).to.equal(404)
    expect(unknown.body).to.deep.equal({
      error: "task 'nope' not found in workspace 'files'",
      code: 'not_found',
    })
    const mode = await upload(
      t,
      '/api/workspaces/files/tasks/reader/state?mode=append',
      Buffer.alloc(0),
    )
    expect(mode.status).to.equal(400)
    expect(mode.body).to.deep.equal({
      error: "mode must be replace or merge, got 'append'",
      code: 'bad_request',
      field: 'mode',
    })
  })
})

describe('task state switched off (no state_storage)', function () {
  this.timeout(30000)
  let t: TestApp
  before(async function () {
    this.timeout(30000)
    t = await buildTestApp({ workspaces: { files: FILES_WS } })
  })
  after(() => t.close())

  it('answers 404 to uploads, renders state as {} and warns about STATE: lines', async () => {
    const res = await upload(t, '/api/workspaces/files/tasks/reader/state', Buffer.alloc(0))
    expect(res.status).to.equal(404)
    expect(res.body).to.deep.equal({
      error: 'task state is off on this server (no state_storage)',
      code: 'not_found',
    })
    const id = await execute(t, 'counter', {}, 'files')
    const job = await waitForJob(t, id)
    expect(job.status).to.equal('failed')
    expect(step(job, 'count').status).to.equal('completed')
    // `state.note` has no default: with no snapshot it is undefined, and the template says so.
    expect(step(job, 'check').error_message).to.match(/^template error: .*note/)
    const logs = await t.request().get(`/api/jobs/${id}/logs`).expect(200)
    expect(logs.body.logs).to.include(
      'step count: task state is off on this server (no state_storage): STATE: lines and $STATE_OUT_DIR were not kept',
    )
  })
})
