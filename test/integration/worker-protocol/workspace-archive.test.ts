import { expect } from 'chai'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { unpackArchive } from '../../../src/shared/tar-archive.ts'
import { GitRepo } from '../../helpers/git-repos.ts'
import type { TestApp } from '../../helpers/test-app.ts'
import { buildTestApp } from '../../helpers/test-app.ts'
import { workspaceDir, writeFiles } from '../../helpers/workspace-files.ts'
import {
  api,
  spawnWorkerWith,
  TOKEN,
  waitForJob,
  type WorkerProcess,
} from '../remote-worker-support.ts'

const WORKSPACE = {
  '.workflows/main.yaml': `
actions:
  show:
    type: script
    source: scripts/show.sh
tasks:
  show-file:
    flow:
      s: { action: show }
  show-many:
    flow:
      a: { action: show }
      b: { action: show }
      c: { action: show }
  use-lib:
    flow:
      g: { action: common.greet }
`,
  'scripts/show.sh': '#!/bin/sh\necho "OUTPUT: {\\"v\\": \\"$(cat version.txt)\\"}"\n',
  'version.txt': 'one',
}

const LIBRARY = {
  '.workflows/lib.yaml': `
actions:
  greet:
    type: script
    source: bin/greet.sh
`,
  'bin/greet.sh': '#!/bin/sh\necho "OUTPUT: {\\"marker\\": \\"$(cat marker.txt)\\"}"\n',
  'marker.txt': 'library-files',
}

describe('workspace and library archives for remote workers (GET /worker/{kind}s/{name}/archive)', function () {
  this.timeout(40000)
  let t: TestApp
  let port: number
  let tmp: string
  let ws: string
  let lib: string
  let repo: GitRepo
  let worker: WorkerProcess
  let secret: string
  let workerId: string

  const base = () => `http://127.0.0.1:${port}`
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${base()}${path}`, { headers: { authorization: `Bearer ${secret}`, ...headers } })
  const revisionOf = (name: string) => t.app.registry.getWorkspace(name).revision
  const run = async (task: string) => {
    const res = await api(port, 'POST', `/api/workspaces/arch/tasks/${task}/execute`, {})
    expect(res.status, JSON.stringify(res.body)).to.equal(200)
    return waitForJob(port, res.body.job_id as string, 30000)
  }
  /** The files of an archive reply, unpacked with the checks workers use. */
  const unpacked = async (res: Response) => {
    const dir = mkdtempSync(join(tmp, 'unpacked-'))
    await unpackArchive(Readable.fromWeb(res.body as never), dir, {
      maxBytes: 1e6,
      maxEntries: 100,
    })
    return dir
  }
  const cached = (kind: string, name: string) => {
    const dir = join(tmp, 'cache', kind, name)
    return existsSync(dir) ? readdirSync(dir).sort() : []
  }

  before(async function () {
    this.timeout(60000)
    tmp = mkdtempSync(join(tmpdir(), 'weir-archive-'))
    ws = workspaceDir('weir-archive-ws-', WORKSPACE)
    lib = workspaceDir('weir-archive-lib-', LIBRARY)
    repo = GitRepo.create('weir-archive-git-')
    repo.commit({ '.workflows/g.yaml': 'tasks: {}\n', 'note.txt': 'first' })
    t = await buildTestApp({
      worker: false,
      workspaces: { arch: ws },
      env: {
        WEIR__WORKER_TOKEN: TOKEN,
        WEIR__WORKSPACE_WATCH: 'false',
        WEIR__WORKERS__HEARTBEAT_INTERVAL_SECS: '1',
      },
      configure: (c) => ({
        ...c,
        workspaces: { ...c.workspaces, gitws: { type: 'git', url: repo.url } },
        libraries: { common: { type: 'folder', path: lib } },
      }),
    })
    ;({ port } = await t.app.listen())
    const res = await fetch(`${base()}/worker/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'archive-client',
        capabilities: ['script'],
        tags: [],
        max_concurrency: 1,
      }),
    })
    expect(res.status).to.equal(201)
    secret = ((await res.json()) as { worker_secret: string }).worker_secret
    worker = spawnWorkerWith('fetcher', port, join(tmp, 'state'), [
      '--cache-dir',
      join(tmp, 'cache'),
      '--keep-revisions',
      '1',
    ])
    workerId = await worker.started()
  })

  after(async function () {
    this.timeout(30000)
    await worker?.stop()
    await t?.close()
    repo?.remove()
    for (const d of [tmp, ws, lib]) if (d) rmSync(d, { recursive: true, force: true })
  })

  it('sends the files of the revision as a gzip tar, with the revision as ETag', async () => {
    const rev = revisionOf('arch')
    const res = await get(`/worker/workspaces/arch/archive?revision=${rev}`)
    expect(res.status).to.equal(200)
    expect(res.headers.get('content-type')).to.equal('application/gzip')
    expect(res.headers.get('etag')).to.equal(`"${rev}"`)
    const dir = await unpacked(res)
    expect(readFileSync(join(dir, 'version.txt'), 'utf8')).to.equal('one')
    expect(readFileSync(join(dir, 'scripts/show.sh'), 'utf8')).to.contain('version.txt')
    expect(existsSync(join(dir, '.workflows/main.yaml'))).to.equal(true)
  })

  it('answers 304 when If-None-Match names the revision', async () => {
    const rev = revisionOf('arch')
    const res = await get(`/worker/workspaces/arch/archive?revision=${rev}`, {
      'if-none-match': `"${rev}"`,
    })
    expect(res.status).to.equal(304)
    expect(res.headers.get('etag')).to.equal(`"${rev}"`)
    expect(await res.text()).to.equal('')
  })

  it('answers 401 without a worker secret', async () => {
    const res = await fetch(`${base()}/worker/workspaces/arch/archive?revision=x`)
    expect(res.status).to.equal(401)
    expect(await res.json()).to.deep.equal({
      error: 'missing worker secret: send Authorization: Bearer <worker_secret>',
      code: 'unauthorized',
    })
  })

  it('answers 404 naming an unknown workspace, library or revision', async () => {
    const cases: Array<[string, string]> = [
      ['/worker/workspaces/nope/archive?revision=abc', "workspace 'nope' not found"],
      ['/worker/libraries/nope/archive?revision=abc', "library 'nope' not found"],
      [
        '/worker/workspaces/arch/archive?revision=abc123',
        `revision 'abc123' of workspace 'arch' is not kept on this server any more (serving: ${revisionOf('arch')})`,
      ],
    ]
    for (const [path, error] of cases) {
      const res = await get(path)
      expect(res.status, path).to.equal(404)
      expect(await res.json()).to.deep.equal({ error, code: 'not_found' })
    }
  })

  it('answers 400 for a missing or malformed revision', async () => {
    const missing = await get('/worker/workspaces/arch/archive')
    expect(missing.status).to.equal(400)
    expect(await missing.json()).to.deep.include({ code: 'bad_request', field: 'revision' })
    const bad = await get('/worker/workspaces/arch/archive?revision=..%2Fx')
    expect(bad.status).to.equal(400)
    expect(await bad.json()).to.deep.equal({
      error: 'revision must match [A-Za-z0-9._-]{1,128}',
      code: 'bad_request',
      field: 'revision',
    })
  })

  it('keeps serving an older git revision from its checkout', async () => {
    const first = revisionOf('gitws')
    repo.commit({ 'note.txt': 'second' })
    const second = (await t.app.registry.reload('gitws')).current!.revision
    expect(second).to.not.equal(first)
    for (const [rev, note] of [
      [first, 'first'],
      [second, 'second'],
    ] as const) {
      const res = await get(`/worker/workspaces/gitws/archive?revision=${rev}`)
      expect(res.status).to.equal(200)
      expect(readFileSync(join(await unpacked(res), 'note.txt'), 'utf8')).to.equal(note)
    }
  })

  it('runs a source: step on a worker with no --workspace-dir, from the fetched revision', async () => {
    const job = await run('show-file')
    expect(job.status, JSON.stringify(job.steps)).to.equal('completed')
    expect(job.steps[0].output).to.deep.equal({ v: 'one' })
    expect(cached('workspace', 'arch')).to.deep.equal([job.revision])
    const again = await run('show-file')
    expect(again.steps[0].output).to.deep.equal({ v: 'one' })
    const fetched = worker.logs().filter((l) => l.msg === 'fetched the files of a revision')
    expect(fetched.map((l) => l.name)).to.deep.equal(['arch'])
  })

  it("runs a library action's source: script from the library's fetched files", async () => {
    const job = await run('use-lib')
    expect(job.status, JSON.stringify(job.steps)).to.equal('completed')
    expect(job.steps[0].output).to.deep.equal({ marker: 'library-files' })
    const [rev] = cached('library', 'common')
    const res = await get(`/worker/libraries/common/archive?revision=${rev}`)
    expect(res.status).to.equal(200)
    expect(readFileSync(join(await unpacked(res), 'marker.txt'), 'utf8')).to.equal('library-files')
  })

  it('fetches the new files once the workspace changed, and refuses (409) the old revision', async () => {
    const old = revisionOf('arch')
    writeFiles(ws, { 'version.txt': 'two' })
    expect((await api(port, 'POST', '/api/workspaces/arch/refresh')).status).to.equal(200)
    const now = revisionOf('arch')
    expect(now).to.not.equal(old)
    const job = await run('show-many')
    expect(job.status, JSON.stringify(job.steps)).to.equal('completed')
    expect(job.revision).to.equal(now)
    expect(job.steps.map((s: { output: unknown }) => s.output)).to.deep.equal([
      { v: 'two' },
      { v: 'two' },
      { v: 'two' },
    ])
    // Three steps claimed together, one download.
    const fetched = worker.logs().filter((l) => l.msg === 'fetched the files of a revision')
    expect(fetched.filter((l) => l.revision === now)).to.have.length(1)
    // --keep-revisions 1: the old revision's folder went once the new one was fetched.
    expect(cached('workspace', 'arch')).to.deep.equal([now])
    const res = await get(`/worker/workspaces/arch/archive?revision=${old}`)
    expect(res.status).to.equal(409)
    expect(await res.json()).to.deep.equal({
      error:
        `the folder of workspace 'arch' has changed since revision '${old}' (now '${now}'): ` +
        "only the current revision's files can be served",
      code: 'conflict',
    })
  })

  it('fails the step with a message naming the workspace and revision when the files cannot be fetched', async () => {
    // A job planned from a revision this worker never fetched, whose folder then changed,
    // claimed only after the reload.
    expect((await api(port, 'POST', `/api/workers/${workerId}/drain`, {})).status).to.equal(200)
    writeFiles(ws, { 'version.txt': 'three' })
    expect((await api(port, 'POST', '/api/workspaces/arch/refresh')).status).to.equal(200)
    const old = revisionOf('arch')
    const res = await api(port, 'POST', '/api/workspaces/arch/tasks/show-file/execute', {})
    const id = res.body.job_id as string
    writeFiles(ws, { 'version.txt': 'four' })
    expect((await api(port, 'POST', '/api/workspaces/arch/refresh')).status).to.equal(200)
    expect((await api(port, 'POST', `/api/workers/${workerId}/undrain`, {})).status).to.equal(200)
    const job = await waitForJob(port, id, 30000)
    expect(job.status).to.equal('failed')
    expect(job.revision).to.equal(old)
    expect(job.steps[0].error_message).to.match(
      new RegExp(
        `^cannot fetch the files of workspace 'arch' at revision '${old}': the server answered 409 \\(conflict\\): the folder of workspace 'arch' has changed`,
      ),
    )
  })
})
