/**
 * Container steps: what a step in a container costs next to a local `sh` step in the same run,
 * and 20 container steps in parallel with nothing left on the engine afterwards. Weir runs in
 * this process (embedded database, embedded worker with 20 slots) against the Docker Engine of
 * DOCKER_HOST (else the standard socket), with the busybox test image
 * (scripts/docker-test-image.sh). `npx tsx scripts/bench/containers.ts [--runs 10]`.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config/load-config.ts'
import { LABELS } from '../../src/runner/executors/container-command.ts'
import { DockerEngine } from '../../src/runner/executors/docker-engine.ts'
import { DEFAULT_DOCKER_HOST } from '../../src/shared/docker-host.ts'
import { silentLogger } from '../../src/shared/logger.ts'
import { fmt, summarize } from './stats.ts'

const IMAGE = 'weir-test/busybox:1'
const runsArg = process.argv.indexOf('--runs')
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 10
const PARALLEL = 20
const host = process.env.DOCKER_HOST || DEFAULT_DOCKER_HOST

const built = spawnSync('bash', [resolve(import.meta.dirname, '../docker-test-image.sh')], {
  stdio: 'inherit',
})
if (built.status !== 0) throw new Error('the test image could not be built')

const dir = mkdtempSync(join(tmpdir(), 'weir-bench-containers-'))
mkdirSync(join(dir, 'ws/.workflows'), { recursive: true })
const branches = Array.from({ length: PARALLEL }, (_, i) => `      c${i}: {action: box}`).join('\n')
writeFileSync(
  join(dir, 'ws/.workflows/bench.yaml'),
  `actions:
  box: {type: docker, image: ${IMAGE}, pull_policy: never, cmd: 'echo "OUTPUT: {\\"n\\": 1}"'}
  local: {type: script, script: 'echo "OUTPUT: {\\"n\\": 1}"'}
tasks:
  local: {flow: {s: {action: local}}}
  box: {flow: {s: {action: box}}}
  fan:
    flow:
${branches}
`,
)
const { config } = loadConfig({
  env: {
    WEIR__LISTEN: '127.0.0.1:0',
    WEIR__DB__DATA_DIR: 'memory',
    WEIR__LOG_STORAGE__LOCAL_DIR: join(dir, 'logs'),
    WEIR__EMBEDDED_WORKER__CONCURRENCY: String(PARALLEL),
    WEIR__SCHEDULER__ENABLED: 'false',
    WEIR__DOCKER__HOST: host,
  },
  cwd: dir,
})
const app = await createApp(
  { ...config, workspaces: { bench: { type: 'folder', path: join(dir, 'ws') } } },
  { logger: silentLogger(), env: { PATH: process.env.PATH ?? '' }, defaultMetrics: false },
)
const { port } = await app.listen()
await app.ready
await app.start()
const base = `http://127.0.0.1:${port}`

async function runJob(task: string): Promise<{ ms: number; job: any }> {
  const started = performance.now()
  const res = await fetch(`${base}/api/workspaces/bench/tasks/${task}/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  })
  const body = (await res.json()) as { job_id?: string }
  if (!body.job_id) throw new Error(`execute ${task}: ${res.status} ${JSON.stringify(body)}`)
  const id = body.job_id
  for (;;) {
    const job = (await (await fetch(`${base}/api/jobs/${id}`)).json()) as any
    if (['completed', 'failed', 'cancelled'].includes(job.status)) {
      return { ms: performance.now() - started, job }
    }
    await new Promise((r) => setTimeout(r, 5))
  }
}

try {
  const engine = new DockerEngine(host)
  await runJob('box') // first container of the run: page cache, engine warm-up
  const local: number[] = []
  const box: number[] = []
  for (let i = 0; i < RUNS; i++) {
    local.push((await runJob('local')).ms)
    const b = await runJob('box')
    if (b.job.status !== 'completed') throw new Error(`container job ${b.job.status}`)
    box.push(b.ms)
  }
  const l = summarize(local)
  const c = summarize(box)
  console.log(`1-step job, execute -> completed (${RUNS} runs each, alternating):`)
  console.log(`  local sh step      p50 ${fmt(l.p50)}  p95 ${fmt(l.p95)}`)
  console.log(`  container step     p50 ${fmt(c.p50)}  p95 ${fmt(c.p95)}`)
  console.log(`  container overhead p50 ${fmt(c.p50 - l.p50)}`)
  const fan = await runJob('fan')
  const left = await engine.listLabelled(LABELS.jobId)
  const done = fan.job.steps.filter((s: any) => s.status === 'completed').length
  console.log(
    `${PARALLEL} container steps in parallel: ${fmt(fan.ms)} wall, ${done}/${PARALLEL} completed, ` +
      `${left.length} containers left on the engine`,
  )
  if (done !== PARALLEL || left.length !== 0) process.exitCode = 1
} finally {
  await app.stop()
  rmSync(dir, { recursive: true, force: true })
}
