import { expect } from 'chai'
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { apiKeyHash } from '../../../src/auth/credentials.ts'
import { verifyPassword } from '../../../src/auth/password.ts'
import { createDb, type Database } from '../../../src/db/create-db.ts'
import { findApiKeyByHash } from '../../../src/db/repositories/api-key.repository.ts'
import { listAuditEntries } from '../../../src/db/repositories/audit.repository.ts'
import { findUserCredentials } from '../../../src/db/repositories/user.repository.ts'
import { silentLogger } from '../../../src/shared/logger.ts'
import { createTestDb, usingPostgres, type TestDatabase } from '../../helpers/test-db.ts'

const ROOT = resolve(import.meta.dirname, '../../..')

function weir(
  args: string[],
  env: Record<string, string>,
  stdin = '',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', resolve(ROOT, 'src/main.ts'), ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('exit', (code) => resolvePromise({ code, stdout, stderr }))
    child.stdin.end(stdin)
  })
}

describe('weir users / weir api-keys (operator CLI, no server)', function () {
  // Each step is a new process that opens and migrates the database.
  this.timeout(300_000)
  let own: TestDatabase | null = null
  let env: Record<string, string>
  let dataDir = ''

  before(async function () {
    this.timeout(60_000)
    if (usingPostgres) {
      own = await createTestDb()
      env = { DATABASE_URL: own.url! }
    } else {
      dataDir = join(mkdtempSync(join(tmpdir(), 'weir-cli-accounts-')), 'pgdata')
      env = { WEIR__DB__DATA_DIR: dataDir }
    }
  })
  after(async () => {
    await own?.close()
  })

  /** The CLI's database, opened once the CLI has exited (PGlite allows one process). */
  async function openDb(): Promise<Database> {
    if (own) return own
    return createDb({ kind: 'pglite', dataDir }, silentLogger())
  }

  it('creates a user with a password from stdin, issues a key once, and revokes it', async () => {
    const created = await weir(
      [
        'users',
        'create',
        '--email',
        'ops@example.com',
        '--name',
        'Ops',
        '--role',
        'admin',
        '--password-stdin',
      ],
      env,
      'operator-password\n',
    )
    expect(created.code, created.stderr).to.equal(0)
    expect(created.stdout).to.match(/^created user ops@example\.com \(admin\): [0-9a-f-]{36}\n$/)

    const dup = await weir(
      ['users', 'create', '--email', 'OPS@example.com', '--name', 'Again'],
      env,
    )
    expect(dup.code).to.equal(1)
    expect(dup.stderr).to.match(/a user with email 'OPS@example.com' already exists/)

    const issued = await weir(
      [
        'api-keys',
        'create',
        '--email',
        'ops@example.com',
        '--name',
        'deploy',
        '--expires-days',
        '7',
      ],
      env,
    )
    expect(issued.code, issued.stderr).to.equal(0)
    const key = issued.stdout.trim()
    expect(key).to.match(/^weir_[A-Za-z0-9_-]{43}$/)
    expect(issued.stderr).to.include(`API key ${key.slice(0, 12)} for ops@example.com`)

    const revoked = await weir(['api-keys', 'revoke', key.slice(0, 12)], env)
    expect(revoked.code, revoked.stderr).to.equal(0)
    expect(revoked.stdout).to.equal(`revoked ${key.slice(0, 12)} (deploy)\n`)

    const database = await openDb()
    try {
      const creds = await findUserCredentials(database.db, 'ops@example.com')
      expect(creds?.user.role).to.equal('admin')
      expect(await verifyPassword('operator-password', creds!.passwordHash!)).to.equal(true)
      const stored = await findApiKeyByHash(database.db, apiKeyHash(key))
      expect(stored?.key.revokedAt).to.be.instanceOf(Date)
      const days = (stored!.key.expiresAt!.getTime() - stored!.key.createdAt.getTime()) / 86_400_000
      expect(days).to.be.closeTo(7, 0.01)
      const { entries } = await listAuditEntries(database.db, {
        limit: 10,
        offset: 0,
        count: false,
      })
      expect(entries.map((e) => `${e.actorType}:${e.actor} ${e.action}`)).to.deep.equal([
        'system:cli api_key.revoked',
        'system:cli api_key.created',
        'system:cli user.created',
      ])
    } finally {
      if (!own) await database.close()
    }
  })

  it('reports bad arguments without touching the database', async () => {
    const bad = await weir(['users', 'create', '--email', 'nope', '--role', 'root'], env)
    expect(bad.code).to.equal(1)
    expect(bad.stderr).to.match(/--role must be one of admin, member, viewer/)
    expect(bad.stderr).to.match(/--email: 'nope' is not an email address/)
    expect(bad.stderr).to.match(/--name: required field is missing/)
    const badPrefix = await weir(['api-keys', 'revoke', 'short'], env)
    expect(badPrefix.code).to.equal(1)
    expect(badPrefix.stderr).to.match(/expected one key prefix/)
  })
})
