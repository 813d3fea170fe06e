/**
 * Real git repositories for tests: a bare "remote" with a working clone that commits and pushes,
 * and a loopback HTTP server in front of `git http-backend` that wants a token.
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

const GIT_ENV = {
  PATH: process.env.PATH ?? '',
  HOME: tmpdir(),
  GIT_AUTHOR_NAME: 'Weir Test',
  GIT_AUTHOR_EMAIL: 'test@weir.invalid',
  GIT_COMMITTER_NAME: 'Weir Test',
  GIT_COMMITTER_EMAIL: 'test@weir.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' }).trim()
}

export class GitRepo {
  /** Folder holding the bare repository and the working clone. */
  readonly dir: string
  /** The bare repository (what a server fetches from). */
  readonly bare: string
  readonly work: string

  private constructor(dir: string) {
    this.dir = dir
    this.bare = join(dir, 'origin.git')
    this.work = join(dir, 'work')
  }

  /** An empty remote on branch `main` and a clone to commit from. */
  static create(prefix = 'weir-git-'): GitRepo {
    const repo = new GitRepo(mkdtempSync(join(tmpdir(), prefix)))
    git(repo.dir, 'init', '--bare', '--quiet', '--initial-branch=main', repo.bare)
    git(repo.dir, 'init', '--quiet', '--initial-branch=main', repo.work)
    git(repo.work, 'remote', 'add', 'origin', repo.bare)
    return repo
  }

  get url(): string {
    return `file://${this.bare}`
  }

  /**
   * Writes files (null deletes; a name ending in `.sh` is made executable), commits them and
   * pushes to `branch`; returns the commit SHA.
   */
  commit(files: Record<string, string | null>, branch = 'main'): string {
    for (const [name, content] of Object.entries(files)) {
      const path = join(this.work, name)
      if (content === null) {
        rmSync(path, { force: true })
        continue
      }
      mkdirSync(dirname(path), { recursive: true })
      writeFileSync(path, content)
      if (name.endsWith('.sh')) chmodSync(path, 0o755)
    }
    git(this.work, 'add', '--all')
    git(this.work, 'commit', '--quiet', '--allow-empty', '-m', 'change')
    git(this.work, 'push', '--quiet', '--force', 'origin', `HEAD:refs/heads/${branch}`)
    return git(this.work, 'rev-parse', 'HEAD')
  }

  tag(name: string): void {
    git(this.work, 'tag', '-a', '-m', name, name)
    git(this.work, 'push', '--quiet', 'origin', `refs/tags/${name}`)
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/**
 * Serves the bare repositories under `root` over smart HTTP on 127.0.0.1, answering 401 unless
 * the request carries `Authorization: Basic <user:token>` with this token.
 */
export async function startGitHttp(
  root: string,
  token: string,
): Promise<{ url: (repo: string) => string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const auth = req.headers.authorization ?? ''
    const given = auth.startsWith('Basic ')
      ? Buffer.from(auth.slice(6), 'base64').toString().split(':').slice(1).join(':')
      : null
    if (given !== token) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' })
      res.end('token required')
      return
    }
    const url = new URL(req.url ?? '/', 'http://localhost')
    const cgi = spawn('git', ['http-backend'], {
      env: {
        ...GIT_ENV,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        REMOTE_USER: 'test',
        REMOTE_ADDR: '127.0.0.1',
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    })
    req.pipe(cgi.stdin)
    let head = Buffer.alloc(0)
    let started = false
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (started) return void res.write(chunk)
      head = Buffer.concat([head, chunk])
      const end = head.indexOf('\r\n\r\n')
      if (end === -1) return
      started = true
      let status = 200
      for (const line of head.subarray(0, end).toString().split('\r\n')) {
        const colon = line.indexOf(':')
        const name = line.slice(0, colon).trim()
        const value = line.slice(colon + 1).trim()
        if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0])
        else res.setHeader(name, value)
      }
      res.statusCode = status
      res.write(head.subarray(end + 4))
    })
    cgi.on('close', () => res.end())
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: (repo) => `http://127.0.0.1:${port}/${repo}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}
