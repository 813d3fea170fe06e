import { expect } from 'chai'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GitSource, GitSourceError, pickRef } from '../../../src/workspace/git-source.ts'
import type { GitAuth } from '../../../src/workspace/git-command.ts'
import { GitRepo, startGitHttp } from '../../helpers/git-repos.ts'

const ENV = { PATH: process.env.PATH ?? '', HOME: tmpdir() }

describe('git sources (workspace/git-source.ts, system git)', function () {
  this.timeout(30_000)
  let repo: GitRepo
  let cache: string
  const source = (over: { url?: string; ref?: string; auth?: GitAuth | null } = {}) =>
    new GitSource({
      spec: { url: over.url ?? repo.url, ref: over.ref ?? 'main', auth: over.auth ?? null },
      dir: join(cache, 'src'),
      env: ENV,
    })

  beforeEach(() => {
    repo = GitRepo.create()
    cache = mkdtempSync(join(tmpdir(), 'weir-git-cache-'))
  })
  afterEach(() => {
    repo.remove()
    rmSync(cache, { recursive: true, force: true })
  })

  it('follows a branch: each new commit is a new revision with its own files', async () => {
    const first = repo.commit({ 'a.txt': 'one', 'run.sh': '#!/bin/sh\necho hi\n' })
    const s = source()
    const one = await s.sync()
    expect(one.revision).to.equal(first)
    expect(readFileSync(join(one.root, 'a.txt'), 'utf8')).to.equal('one')
    expect(statSync(join(one.root, 'run.sh')).mode & 0o100).to.equal(0o100)
    expect(await s.sync()).to.equal(one)

    const second = repo.commit({ 'a.txt': 'two', 'b/c.txt': 'c' })
    const two = await s.sync()
    expect(two.revision).to.equal(second)
    expect(readFileSync(join(two.root, 'a.txt'), 'utf8')).to.equal('two')
    expect(readFileSync(join(two.root, 'b/c.txt'), 'utf8')).to.equal('c')
    // The old revision keeps its files for jobs planned from it.
    expect(readFileSync(join(one.root, 'a.txt'), 'utf8')).to.equal('one')
  })

  it('resolves an annotated tag to its commit', async () => {
    const sha = repo.commit({ 'a.txt': 'tagged' })
    repo.tag('v1')
    repo.commit({ 'a.txt': 'later' })
    const snap = await source({ ref: 'v1' }).sync()
    expect(snap.revision).to.equal(sha)
    expect(readFileSync(join(snap.root, 'a.txt'), 'utf8')).to.equal('tagged')
  })

  it('names a ref the remote does not have, and a remote it cannot reach', async () => {
    repo.commit({ 'a.txt': 'x' })
    const badRef = await source({ ref: 'release' })
      .sync()
      .then(
        () => new Error('expected a failure'),
        (e: unknown) => e as Error,
      )
    expect(badRef).to.be.instanceOf(GitSourceError)
    expect(badRef.message).to.equal(
      `ref 'release' not found in ${repo.url} (no branch or tag of that name)`,
    )
    const missing = `file://${join(repo.dir, 'nowhere.git')}`
    const err = await source({ url: missing })
      .sync()
      .then(
        () => new Error('expected a failure'),
        (e: unknown) => e as Error,
      )
    expect(err).to.be.instanceOf(GitSourceError)
    expect(err.message).to.match(/^cannot reach file:\/\/.*nowhere\.git: git ls-remote failed: /)
  })

  it('sends a token over HTTP, and never shows it in an error', async () => {
    const sha = repo.commit({ 'a.txt': 'over http' })
    const http = await startGitHttp(repo.dir, 'sesame-token-123')
    try {
      const auth = (token: string): GitAuth => ({
        type: 'token',
        token,
        username: 'x-access-token',
      })
      const ok = await source({
        url: http.url('origin.git'),
        auth: auth('sesame-token-123'),
      }).sync()
      expect(ok.revision).to.equal(sha)
      rmSync(join(cache, 'src'), { recursive: true, force: true })
      const err = await source({ url: http.url('origin.git'), auth: auth('wrong-token-456') })
        .sync()
        .then(
          () => new Error('expected a failure'),
          (e: unknown) => e as Error,
        )
      expect(err).to.be.instanceOf(GitSourceError)
      expect(err.message).to.contain('cannot reach http://127.0.0.1:')
      expect(err.message).not.to.contain('wrong-token-456')
    } finally {
      await http.close()
    }
  })

  it('keeps a bounded number of checkouts', async () => {
    const s = new GitSource({
      spec: { url: repo.url, ref: 'main', auth: null },
      dir: join(cache, 'src'),
      env: ENV,
      keep: 1,
    })
    const a = await (repo.commit({ n: '1' }), s.sync())
    const b = await (repo.commit({ n: '2' }), s.sync())
    const c = await (repo.commit({ n: '3' }), s.sync())
    expect(existsSync(a.root)).to.equal(false)
    expect(existsSync(b.root)).to.equal(true)
    expect(existsSync(c.root)).to.equal(true)
    // An evicted revision can be checked out again from the repository.
    expect(readFileSync(join(await s.checkout(a.revision), 'n'), 'utf8')).to.equal('1')
  })
})

describe('pickRef', () => {
  const out = [
    `${'a'.repeat(40)}\trefs/heads/main`,
    `${'b'.repeat(40)}\trefs/tags/main`,
    `${'c'.repeat(40)}\trefs/tags/v1`,
    `${'d'.repeat(40)}\trefs/tags/v1^{}`,
    `${'e'.repeat(40)}\trefs/heads/feature/main`,
  ].join('\n')

  it('prefers the branch, peels annotated tags, takes full names as given', () => {
    expect(pickRef(out, 'main')).to.deep.equal({ sha: 'a'.repeat(40), name: 'refs/heads/main' })
    expect(pickRef(out, 'v1')).to.deep.equal({ sha: 'd'.repeat(40), name: 'refs/tags/v1' })
    expect(pickRef(out, 'refs/tags/main')?.sha).to.equal('b'.repeat(40))
    expect(pickRef(out, 'feature/main')?.sha).to.equal('e'.repeat(40))
    expect(pickRef(out, 'nope')).to.equal(null)
  })
})
