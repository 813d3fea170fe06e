/** Times the phases of single-step jobs in-process (diagnostic for the B1 benchmark). */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config/load-config.ts'
import { silentLogger } from '../../src/shared/logger.ts'

const env: Record<string, string> = {
  WEIR__LISTEN: '127.0.0.1:0',
  WEIR__LOG_STORAGE__LOCAL_DIR: mkdtempSync(join(tmpdir(), 'weir-phase-')),
  WEIR__DB__DATA_DIR: 'memory',
  WEIR__SCHEDULER__ENABLED: 'false',
  ...(process.argv[2] === 'pg'
    ? { WEIR__DB__URL: 'postgres://postgres@127.0.0.1:5432/weir_bench' }
    : {}),
}
const { config } = loadConfig({ env, cwd: tmpdir() })
const app = await createApp(
  {
    ...config,
    workspaces: { bench: { type: 'folder', path: resolve(import.meta.dirname, 'workspace') } },
  },
  { logger: silentLogger(), env: { PATH: process.env.PATH ?? '' } },
)
await app.start()
const { jobs, logs, dispatch, events, database } = await app.ready
const marks: Array<[string, number]> = []
const mark = (n: string) => marks.push([n, performance.now()])
const wrap = (obj: any, name: string) => {
  const orig = obj[name].bind(obj)
  obj[name] = async (...a: unknown[]) => {
    mark(`${name}>`)
    const r = await orig(...a)
    mark(`${name}<`)
    return r
  }
}
wrap(jobs.orchestrator, 'createJob')
{
  const st: any = logs.store
  const o = st.append.bind(st)
  st.append = (...a: unknown[]) => {
    mark('append>')
    const p = o(...a)
    mark('append-sync<')
    return p
  }
}
wrap(jobs.orchestrator, 'finishStep')
wrap(dispatch.source, 'claimNow')
wrap(dispatch.source, 'appendLogs')
const ws = app.registry.getWorkspace('bench')
const task = ws.tasks.get('echo1')!
const totals: Record<string, number[]> = {}
for (let i = 0; i < (Number(process.env.N) || 60); i++) {
  marks.length = 0
  const done = new Promise<void>((r) =>
    events.bus.on('events', function f(evs) {
      if (evs.some((e) => e.type === 'job.finished')) {
        events.bus.off('events', f)
        r()
      }
    }),
  )
  const t0 = performance.now()
  await jobs.orchestrator.createJob({
    workspace: ws,
    task,
    input: {},
    source: { type: 'api', id: null },
  })
  await done
  mark('finished')
  if (i < 10) continue
  for (const [n, t] of marks) (totals[n] ??= []).push(t - t0)
  if (i === 59) console.log(marks.map(([n, t]) => `${n}@${(t - t0).toFixed(2)}`).join(' '))
}
for (const [n, v] of Object.entries(totals)) {
  v.sort((a, b) => a - b)
  console.log(n.padEnd(16), v[Math.floor(v.length / 2)]!.toFixed(2))
}
if (process.env.RTT) {
  const { sql } = await import('kysely')
  const db = database.db
  for (const [label, fn] of [
    ['select 1', () => sql`select 1`.execute(db)],
    ['tx select 1', () => db.transaction().execute((t: any) => sql`select 1`.execute(t))],
  ] as const) {
    const a: number[] = []
    for (let i = 0; i < 300; i++) {
      const t = performance.now()
      await (fn as () => Promise<unknown>)()
      a.push(performance.now() - t)
    }
    a.sort((x, y) => x - y)
    console.log(label, a[150]!.toFixed(3))
  }
}
await app.stop()
process.exit(0)
