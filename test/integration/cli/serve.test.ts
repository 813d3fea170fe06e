import { expect } from 'chai'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createTestDb, usingPostgres, type TestDatabase } from '../../helpers/test-db.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const ROOT = resolve(import.meta.dirname, '../../..')

function startServer(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let out = ''
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(ROOT, 'src/main.ts'), 'serve'],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  return { child, output: () => out }
}

function portOf(output: string): number | undefined {
  const m = /"msg":"listening"/.test(output) ? /"port":(\d+)/.exec(output) : null
  return m ? Number(m[1]) : undefined
}

describe('weir serve as a process', function () {
  // A real server process: tsx compiles the sources and the embedded database starts and
  // migrates (about 12 s on 2 idle cores, more on a shared machine).
  this.timeout(60000)

  it('serves, becomes ready, and stops gracefully on SIGTERM with exit code 0', async () => {
    // Every interface and no auth section: the server says who can run its scripts.
    // Its own database: never the shared one, whose state other runs may have changed.
    const own: TestDatabase | null = usingPostgres ? await createTestDb() : null
    const dataDir = usingPostgres
      ? 'memory'
      : join(mkdtempSync(join(tmpdir(), 'weir-serve-')), 'pgdata')
    // A config with Strøm-only keys: each warning reaches the log once.
    const configFile = join(mkdtempSync(join(tmpdir(), 'weir-serve-config-')), 'config.yaml')
    writeFileSync(
      configFile,
      `workspaces: { default: { type: folder, path: ${JSON.stringify(join(ROOT, 'workspaces/default'))} } }\n` +
        'acl: { default: deny }\nrecovery: { sweep_interval_secs: 30 }\n',
    )
    const { child, output } = startServer({
      WEIR_CONFIG: configFile,
      WEIR__LISTEN: '0.0.0.0:0',
      WEIR__DB__DATA_DIR: dataDir,
      WEIR__LOG_STORAGE__LOCAL_DIR: mkdtempSync(join(tmpdir(), 'weir-serve-logs-')),
      WEIR__SCHEDULER__ENABLED: 'false',
      ...(own?.url ? { DATABASE_URL: own.url } : {}),
    })
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
    try {
      const port = await waitFor(() => portOf(output()), {
        timeoutMs: 40000,
        what: 'the server to listen',
      })
      // Until the database is open, the readiness gate answers every API route with a 503.
      const early = await fetch(`http://127.0.0.1:${port}/api/workspaces`)
      if (early.status !== 200) {
        expect(early.status).to.equal(503)
        expect(early.headers.get('retry-after')).to.equal('2')
        expect(await early.json()).to.deep.equal({
          error: 'starting: opening the database',
          code: 'unavailable',
        })
      }
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, {
        timeoutMs: 40000,
        what: 'readiness',
      })
      expect(output()).to.match(
        /"level":40,.*"msg":"listening on 0\.0\.0\.0:0 without an auth section: anyone who can reach this address can run the workspaces' scripts/,
      )
      for (const key of ['acl', 'recovery\\.sweep_interval_secs']) {
        const logged = output().match(
          new RegExp(`"level":40,.*"msg":"${key}: Strøm setting ignored by Weir \\(`, 'g'),
        )
        expect(logged, key).to.have.length(1)
      }
      expect(output()).not.to.match(/^warning: /m)
      const res = await fetch(`http://127.0.0.1:${port}/api/workspaces`)
      expect(res.status).to.equal(200)
      expect(((await res.json()) as Array<{ name: string }>)[0]!.name).to.equal('default')
      child.kill('SIGTERM')
      expect(await exited).to.equal(0)
      expect(output()).to.match(/"msg":"stopped"/)
    } finally {
      child.kill('SIGKILL')
      await own?.close().catch(() => undefined)
    }
  })

  it('exits 1 with every problem listed when the configuration is invalid', async () => {
    const { child, output } = startServer({
      WEIR__LISTEN: 'nope',
      WEIR__EMBEDDED_WORKER__CONCURRENCY: '0',
    })
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)))
    expect(code).to.equal(1)
    expect(output()).to.match(/listen: expected host:port/)
    expect(output()).to.match(/embedded_worker\.concurrency: /)
  })
})
