/**
 * A git workspace or library (STROEM-REFERENCE.md §1.1): `url` at `ref`, through the system git.
 * Each sync asks the remote which commit `ref` names (`git ls-remote`, cheap), fetches it into a
 * bare repository under the cache folder only when that commit is new, and extracts the commit's
 * tree into a folder of its own (`checkouts/<sha>`), so every revision keeps its files while jobs
 * planned from it run. The revision is the commit SHA.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { createGzip } from 'node:zlib'
import { unpackArchive } from '../shared/tar-archive.ts'
import { coerceError } from '../shared/errors.ts'
import { createGitRunner, type GitAuth, type GitRunner } from './git-command.ts'

export interface GitSourceSpec {
  readonly url: string
  readonly ref: string
  readonly auth: GitAuth | null
}

export interface GitSnapshot {
  /** The commit SHA. */
  readonly revision: string
  /** The commit's files. */
  readonly root: string
}

export class GitSourceError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'GitSourceError'
  }
}

export interface GitSourceOptions {
  readonly spec: GitSourceSpec
  /** This source's own cache folder (bare repository, checkouts, key file). */
  readonly dir: string
  /** The environment git runs with. */
  readonly env: Readonly<Record<string, string | undefined>>
  /** Limit of one git command (default 120 s). */
  readonly timeoutMs?: number
  /** Checkouts kept besides the newest (default 20, as many versions as the registry keeps). */
  readonly keep?: number
}

const SHA_RE = /^[0-9a-f]{40}$/
/** A checkout is a workspace's files: generous, but not unbounded. */
const CHECKOUT_LIMITS = { maxBytes: 4 * 1024 ** 3, maxEntries: 500_000 }

/** `https://user:secret@host/x` → `https://user:******@host/x`, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@]+):[^/@]*@/i, '$1:******@')
}

/**
 * The commit `ref` names in `git ls-remote` output: a full ref name as given, else the branch,
 * else the tag (its commit when the tag is annotated). Null when nothing matches.
 */
export function pickRef(lsRemote: string, ref: string): { sha: string; name: string } | null {
  const refs = new Map<string, string>()
  for (const line of lsRemote.split('\n')) {
    const [sha, name] = line.trim().split(/\s+/)
    if (sha && name && SHA_RE.test(sha)) refs.set(name, sha)
  }
  const candidates = ref.startsWith('refs/')
    ? [ref]
    : [`refs/heads/${ref}`, `refs/tags/${ref}`, ...(ref === 'HEAD' ? ['HEAD'] : [])]
  for (const name of candidates) {
    const sha = refs.get(`${name}^{}`) ?? refs.get(name)
    if (sha) return { sha, name }
  }
  return null
}

export class GitSource {
  readonly #o: GitSourceOptions
  readonly #git: GitRunner
  readonly #repo: string
  readonly #checkouts: string
  #last: GitSnapshot | null = null

  constructor(o: GitSourceOptions) {
    this.#o = o
    this.#repo = join(o.dir, 'repo.git')
    this.#checkouts = join(o.dir, 'checkouts')
    this.#git = createGitRunner({
      env: o.env,
      auth: o.spec.auth,
      keyDir: o.dir,
      timeoutMs: o.timeoutMs ?? 120_000,
    })
  }

  /** The last snapshot synced, if any. */
  get last(): GitSnapshot | null {
    return this.#last
  }

  /**
   * Brings the source up to the commit `ref` names now; throws GitSourceError with what went
   * wrong (unreachable remote, unknown ref, failed fetch) and leaves the last snapshot as it was.
   */
  async sync(): Promise<GitSnapshot> {
    const { url, ref } = this.#o.spec
    const where = redactUrl(url)
    await this.#ensureRepo()
    let listed: string
    try {
      listed = await this.#git.run(['ls-remote', '--', url, ref])
    } catch (e) {
      throw new GitSourceError(`cannot reach ${where}: ${coerceError(e).message}`)
    }
    const found = pickRef(listed, ref)
    if (!found && !SHA_RE.test(ref)) {
      throw new GitSourceError(`ref '${ref}' not found in ${where} (no branch or tag of that name)`)
    }
    let sha = found?.sha ?? ref
    if (this.#last?.revision === sha && existsSync(this.#last.root)) return this.#last
    if (!(await this.#hasCommit(sha))) sha = await this.#fetch(found?.name ?? ref, where)
    const root = await this.checkout(sha)
    this.#last = { revision: sha, root }
    return this.#last
  }

  /** The folder holding `revision`'s files, extracted from the repository when missing. */
  async checkout(revision: string): Promise<string> {
    const dir = join(this.#checkouts, revision)
    if (existsSync(dir)) return dir
    mkdirSync(this.#checkouts, { recursive: true })
    const tmp = join(this.#checkouts, `.tmp-${revision}-${randomBytes(4).toString('hex')}`)
    try {
      mkdirSync(tmp)
      const args = ['--git-dir=' + this.#repo, 'archive', '--format=tar', revision]
      await this.#git.stream(args, async (out) => {
        await unpackArchive(out.pipe(createGzip({ level: 1 })), tmp, CHECKOUT_LIMITS)
      })
      if (existsSync(dir)) rmSync(tmp, { recursive: true, force: true })
      else renameSync(tmp, dir)
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true })
      throw new GitSourceError(`cannot check out ${revision}: ${coerceError(e).message}`)
    }
    this.#prune(revision)
    return dir
  }

  async #ensureRepo(): Promise<void> {
    if (existsSync(join(this.#repo, 'HEAD'))) return
    mkdirSync(this.#o.dir, { recursive: true })
    try {
      await this.#git.run(['init', '--bare', '--quiet', this.#repo])
      // Old revisions stay fetchable for the checkouts of jobs planned from them.
      await this.#git.run(['--git-dir=' + this.#repo, 'config', 'gc.auto', '0'])
    } catch (e) {
      throw new GitSourceError(`cannot create the repository cache: ${coerceError(e).message}`)
    }
  }

  async #hasCommit(sha: string): Promise<boolean> {
    try {
      await this.#git.run(['--git-dir=' + this.#repo, 'cat-file', '-e', `${sha}^{commit}`])
      return true
    } catch {
      return false
    }
  }

  /** Fetches `ref` (a full ref name, or a commit SHA) and returns the commit it names now. */
  async #fetch(ref: string, where: string): Promise<string> {
    const dest = 'refs/weir/fetched'
    try {
      const args = ['--git-dir=' + this.#repo, 'fetch', '--quiet', '--no-tags', '--force']
      await this.#git.run([...args, '--', this.#o.spec.url, `+${ref}:${dest}`])
      const sha = await this.#git.run(['--git-dir=' + this.#repo, 'rev-parse', `${dest}^{commit}`])
      return sha.trim()
    } catch (e) {
      throw new GitSourceError(
        `cannot fetch '${this.#o.spec.ref}' from ${where}: ${coerceError(e).message}`,
      )
    }
  }

  /** Keeps the newest checkouts; a job planned from an older revision finds its files gone. */
  #prune(current: string): void {
    const keep = this.#o.keep ?? 20
    let entries: Array<{ name: string; mtime: number }>
    try {
      entries = readdirSync(this.#checkouts)
        .filter((n) => SHA_RE.test(n) && n !== current)
        .map((name) => ({ name, mtime: statSync(join(this.#checkouts, name)).mtimeMs }))
    } catch {
      return
    }
    entries.sort((a, b) => b.mtime - a.mtime)
    for (const old of entries.slice(keep)) {
      rmSync(join(this.#checkouts, old.name), { recursive: true, force: true })
    }
  }
}
