import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { renameSync } from 'node:fs'
import { buildTestApp, execute, waitForJob, type TestApp } from '../../helpers/test-app.ts'
import { GitRepo, startGitHttp } from '../../helpers/git-repos.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const files = (v: string) => ({
  '.workflows/w.yaml': `
actions:
  show:
    type: script
    source: scripts/show.sh
tasks:
  show:
    flow:
      s: { action: show }
`,
  'scripts/show.sh': '#!/bin/sh\necho "OUTPUT: {\\"version\\": \\"$(cat VERSION)\\"}"\n',
  VERSION: v,
})

describe('git workspaces (type: git)', function () {
  this.timeout(60_000)
  let t: TestApp
  let repo: GitRepo
  let http: Awaited<ReturnType<typeof startGitHttp>>
  let first: string

  before(async function () {
    this.timeout(60_000)
    repo = GitRepo.create('weir-gitws-')
    first = repo.commit(files('v1'))
    http = await startGitHttp(repo.dir, 'the-token-0123456789')
    t = await buildTestApp({
      workspaces: {},
      configure: (c) => ({
        ...c,
        git_auth: { forge: { type: 'token', token: 'the-token-0123456789', username: 'weir' } },
        workspaces: {
          live: { type: 'git', url: repo.url, poll_interval_secs: 1 },
          tagged: { type: 'git', url: repo.url, ref: 'no-such-branch' },
          private: { type: 'git', url: http.url('origin.git'), auth: 'forge' },
        },
      }),
    })
  })
  after(async () => {
    await t.close()
    await http.close()
    repo.remove()
  })

  const entry = async (name: string) =>
    ((await t.request().get('/api/workspaces').expect(200)).body as any[]).find(
      (w) => w.name === name,
    )
  const version = async (ws: string) => {
    const job = await waitForJob(t, await execute(t, 'show', {}, ws))
    expect(job.status, JSON.stringify(job.steps)).to.equal('completed')
    return job.steps[0].output.version as string
  }

  it('serves the commit its ref names, with the commit SHA as revision', async () => {
    expect((await entry('live')).revision).to.equal(first)
    expect(await version('live')).to.equal('v1')
  })

  it('reaches a remote over HTTP with a token from git_auth', async () => {
    const ws = await entry('private')
    expect(ws.error).to.equal(null)
    expect(ws.revision).to.equal(first)
  })

  it('follows a new commit on its own (poll_interval_secs)', async () => {
    const second = repo.commit(files('v2'))
    await waitFor(async () => (await entry('live')).revision === second, {
      timeoutMs: 20_000,
      what: 'the new commit to be served',
    })
    expect(await version('live')).to.equal('v2')
  })

  it('a ref the remote lacks: never served, the error shown', async () => {
    const ws = await entry('tagged')
    expect(ws.revision).to.equal(null)
    expect(ws.tasks_count).to.equal(0)
    expect(ws.error).to.equal(
      `.:1:1 workspaces.tagged: ref 'no-such-branch' not found in ${repo.url} (no branch or tag of that name)  [git]`,
    )
  })

  it('keeps the last good revision serving while its ref is gone or the remote unreachable', async () => {
    const served = (await entry('live')).revision as string
    execFileSync('git', ['--git-dir', repo.bare, 'branch', '-m', 'main', 'moved'])
    const gone = await waitFor(async () => ((await entry('live')).error ? entry('live') : null), {
      timeoutMs: 20_000,
      what: 'the missing ref to be reported',
    })
    expect(gone.revision).to.equal(served)
    expect(gone.error).to.contain("ref 'main' not found in")
    expect(await version('live')).to.equal('v2')

    execFileSync('git', ['--git-dir', repo.bare, 'branch', '-m', 'moved', 'main'])
    renameSync(repo.bare, `${repo.bare}.away`)
    const unreachable = await waitFor(
      async () => {
        const ws = await entry('live')
        return ws.error?.includes('cannot reach') ? ws : null
      },
      { timeoutMs: 20_000, what: 'the unreachable remote to be reported' },
    )
    expect(unreachable.revision).to.equal(served)
    expect(unreachable.error).to.match(
      /^\.:1:1 workspaces\.live: cannot reach file:\/\/.*: git ls-remote failed: .*\[git\]$/,
    )

    renameSync(`${repo.bare}.away`, repo.bare)
    await waitFor(async () => (await entry('live')).error === null, {
      timeoutMs: 20_000,
      what: 'the workspace to recover',
    })
  })
})
