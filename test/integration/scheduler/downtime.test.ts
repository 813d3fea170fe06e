/**
 * Downtime end to end: a real `weir serve` with two every-second triggers is killed with SIGKILL,
 * stays down for at least three slots, and is started again on the same database (PGlite: the
 * same data dir, whose lock file still names the dead process). Afterwards every fire key is
 * unique, `catch_up: all` fired every missed slot, and `catch_up: latest` only the newest one.
 */
import { expect } from 'chai'
import { spawn, type ChildProcess } from 'node:child_process'
import { PGlite } from '@electric-sql/pglite'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createDb } from '../../../src/db/create-db.ts'
import { silentLogger } from '../../../src/shared/logger.ts'
import {
  createTestDb,
  pgliteDumpPath,
  usingPostgres,
  type TestDatabase,
} from '../../helpers/test-db.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const ROOT = resolve(import.meta.dirname, '../../..')
const DOWN_SLOTS = 3

const WORKFLOW = `
actions:
  noop: { type: script, script: "true" }
tasks:
  tick:
    flow:
      only: { action: noop }
triggers:
  every-all:
    type: scheduler
    cron: "*/1 * * * * *"
    task: tick
    catch_up: all
    max_catch_up: 1000
  every-latest:
    type: scheduler
    cron: "*/1 * * * * *"
    task: tick
    catch_up: latest
`

interface Server {
  readonly child: ChildProcess
  readonly output: () => string
  readonly exited: Promise<number | null>
}

async function seedDataDir(dataDir: string): Promise<void> {
  const loadDataDir = new Blob([readFileSync(pgliteDumpPath())])
  const instance = await PGlite.create({ dataDir, loadDataDir })
  await instance.close()
}

function startServer(configPath: string, env: Record<string, string>): Server {
  let out = ''
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(ROOT, 'src/main.ts'), 'serve', '--config', configPath],
    { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
  return { child, output: () => out, exited }
}

function portOf(output: string): number | undefined {
  const m = /"msg":"listening"/.test(output)
    ? /"port":(\d+)[^\n]*"msg":"listening"/.exec(output)
    : null
  return m ? Number(m[1]) : undefined
}

/** last_fired_at per trigger, from GET /api/workspaces/w/triggers. */
async function lastFired(port: number): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/api/workspaces/w/triggers`)
  if (res.status !== 200) return new Map()
  const body = (await res.json()) as Array<{ name: string; last_fired_at: string | null }>
  return new Map(body.map((t) => [t.name, t.last_fired_at ? Date.parse(t.last_fired_at) : 0]))
}

async function bothFiredAfter(port: number, atMs: number): Promise<boolean> {
  const fired = await lastFired(port)
  return ['every-all', 'every-latest'].every((n) => (fired.get(n) ?? 0) > atMs)
}

/**
 * Starts a server and waits until it listens, is ready, and has fired both triggers after that:
 * the scheduler runs. On a timeout the error carries the server's last output.
 */
async function startFiring(
  configPath: string,
  env: Record<string, string>,
  who: string,
  started: Server[],
): Promise<Server> {
  const server = startServer(configPath, env)
  started.push(server)
  try {
    const port = await waitFor(() => portOf(server.output()), {
      timeoutMs: 45_000,
      what: `${who} to listen`,
    })
    await waitFor(() => /"msg":"ready"/.test(server.output()), {
      timeoutMs: 45_000,
      intervalMs: 100,
      what: `${who} to be ready`,
    })
    const readyAt = Date.now()
    await waitFor(() => bothFiredAfter(port, readyAt + 1000), {
      timeoutMs: 20_000,
      intervalMs: 100,
      what: `${who} to fire both triggers`,
    })
    return server
  } catch (e) {
    server.child.kill('SIGKILL')
    throw new Error(`${coerceMessage(e)}\n${server.output().slice(-3000)}`, { cause: e })
  }
}

function coerceMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/** Slots in seconds since the epoch, per trigger, from the fire keys. */
function slotsOf(keys: ReadonlyArray<string>, trigger: string): number[] {
  return keys
    .filter((k) => k.startsWith(`w/${trigger}/`))
    .map((k) => Date.parse(k.slice(`w/${trigger}/`.length)) / 1000)
    .sort((a, b) => a - b)
}

/** Gaps between consecutive slots, as [after, before] pairs of slots. */
function gaps(slots: ReadonlyArray<number>): Array<[number, number]> {
  const out: Array<[number, number]> = []
  for (let i = 1; i < slots.length; i++)
    if (slots[i]! - slots[i - 1]! !== 1) out.push([slots[i - 1]!, slots[i]!])
  return out
}

describe('scheduler downtime (weir serve killed and restarted)', function () {
  // Two server start-ups (the embedded database takes seconds) and a deliberate outage.
  this.timeout(240_000)
  let dir: string
  let own: TestDatabase | null = null
  const servers: Server[] = []

  before(async function () {
    this.timeout(30_000)
    dir = mkdtempSync(join(tmpdir(), 'weir-downtime-'))
    mkdirSync(join(dir, 'ws', '.workflows'), { recursive: true })
    writeFileSync(join(dir, 'ws', '.workflows', 'triggers.yaml'), WORKFLOW)
    writeFileSync(
      join(dir, 'server-config.yaml'),
      [
        'listen: 127.0.0.1:0',
        'db:',
        `  data_dir: ${join(dir, 'pgdata')}`,
        'log_storage:',
        `  local_dir: ${join(dir, 'logs')}`,
        'embedded_worker:',
        '  enabled: false',
        'workspaces:',
        '  w:',
        '    type: folder',
        '    path: ws',
        '',
      ].join('\n'),
    )
    if (usingPostgres) own = await createTestDb()
    // The migrated dump the suite boots PGlite from: far quicker than initdb and migrations.
    else await seedDataDir(join(dir, 'pgdata'))
  })
  after(async () => {
    for (const s of servers) s.child.kill('SIGKILL')
    await own?.close().catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
  })

  it('fires every missed slot with catch_up all, only the newest with latest, each once', async () => {
    const env: Record<string, string> = own?.url ? { DATABASE_URL: own.url } : {}
    const config = join(dir, 'server-config.yaml')
    const first = await startFiring(config, env, 'the first server', servers)
    first.child.kill('SIGKILL')
    expect(await first.exited).to.equal(null)
    const killedAt = Date.now()
    if (!usingPostgres) expect(existsSync(join(dir, 'pgdata', 'weir.lock'))).to.equal(true)
    // The deliberate outage: wait until the wall clock has passed DOWN_SLOTS whole slots.
    await waitFor(() => Date.now() >= killedAt + DOWN_SLOTS * 1000, {
      timeoutMs: DOWN_SLOTS * 1000 + 5000,
      intervalMs: 50,
      what: 'the outage to last',
    })

    // A stale lock file (PGlite) or leader lock (PostgreSQL) must not block the restart.
    const second = await startFiring(config, env, 'the restarted server', servers)
    second.child.kill('SIGTERM')
    expect(await second.exited).to.equal(0)
    expect(second.output()).to.match(/catch-up \(all\): firing \d+ slot/)
    expect(second.output()).to.match(/catch-up \(latest\): firing 1 slot/)

    const database =
      own ?? (await createDb({ kind: 'pglite', dataDir: join(dir, 'pgdata') }, silentLogger()))
    try {
      const rows = await database.db.selectFrom('jobs').select('fire_key').execute()
      const keys = rows.map((r) => r.fire_key!)
      expect(new Set(keys).size, 'a fire key appears twice').to.equal(keys.length)
      const all = slotsOf(keys, 'every-all')
      const latest = slotsOf(keys, 'every-latest')
      const killedSlot = Math.floor(killedAt / 1000)
      // catch_up: all fills the outage: one unbroken run of slots across both servers.
      expect(gaps(all), `every-all slots ${all.join(',')}`).to.deep.equal([])
      expect(all[0]!).to.be.at.most(killedSlot)
      expect(all.at(-1)!).to.be.greaterThan(killedSlot + DOWN_SLOTS)
      // catch_up: latest skips the outage but its newest slot: exactly one gap, of the outage.
      const [gap, ...more] = gaps(latest)
      expect(more, `every-latest slots ${latest.join(',')}`).to.deep.equal([])
      expect(gap![1] - gap![0]).to.be.greaterThan(DOWN_SLOTS)
      expect(gap![0]).to.be.at.most(killedSlot)
    } finally {
      if (!own) await database.close()
    }
  })
})
