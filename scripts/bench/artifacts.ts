/**
 * `npm run bench:artifacts [-- --jobs 3] [-- --mib 100] [-- --downloads 2] [-- --db pg|pglite]`:
 * the server's resident memory while a step stores a large artifact, which must stream end to end
 * (target: growth ≤ 20 MB, MB = 10^6 bytes). `weir serve` runs as a child process
 * (child-server.ts), first with its embedded worker, then with it off and one `weir worker`
 * process uploading over `/worker`. Each job writes `--mib` MiB of random bytes to
 * $ARTIFACTS_DIR, after a warm-up job with a small file. Per job: the server's VmRSS just before,
 * sampled every 100 ms until the job ends, and VmHWM (reset through /proc/<pid>/clear_refs before
 * the job, so it is this job's peak); growth = peak − before. Then the last job's artifact is
 * downloaded `--downloads` times through `GET /api/jobs/{id}/artifacts/big.bin`, measured the
 * same way and checked against the sha256 the step printed: the first large transfer of a fresh
 * process costs more than the next ones (docs/performance.md), so the second shows the steady
 * state. Prints a table and writes bench-results/artifacts-<db>-<time>.json.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { readStatusKb, startChildServer, type ChildServer } from './child-server.ts'
import { describeMachine, machineInfo } from './machine.ts'
import { freshDatabase, loadPgInfo } from './pg-admin.ts'
import {
  BENCH_WORKER_TOKEN,
  startWorkerProcess,
  stopWorkerProcess,
  waitForWorkers,
} from './worker-processes.ts'
import { positiveArg, progress } from './standalone.ts'
import { sleep } from './context.ts'

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '3' },
    mib: { type: 'string', default: '100' },
    db: { type: 'string', default: 'pg' },
    downloads: { type: 'string', default: '2' },
  },
})
const JOBS = positiveArg(values.jobs, 'jobs')
const DOWNLOADS = positiveArg(values.downloads, 'downloads')
const BYTES = positiveArg(values.mib, 'mib') * 2 ** 20
const DB = values.db === 'pglite' ? 'pglite' : 'pg'
if (values.db !== 'pg' && values.db !== 'pglite') throw new Error('--db must be pg or pglite')
const WARM_UP_BYTES = 64 * 1024
const TARGET_MB = 20
const SAMPLE_MS = 100
const JOB_TIMEOUT_MS = 10 * 60_000
const OUT = resolve(import.meta.dirname, '../../bench-results')

const MB = 1e6
const rssBytes = (pid: number) => readStatusKb(pid, 'VmRSS') * 1024
const hwmBytes = (pid: number) => readStatusKb(pid, 'VmHWM') * 1024

/** Sets VmHWM back to the current RSS (Linux ≥ 4.0); false when the kernel refused. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
    return hwmBytes(pid) <= rssBytes(pid) + 1024 * 1024
  } catch {
    return false
  }
}

/** One process's memory over a measured window, in bytes. */
interface Window {
  readonly before: number
  readonly sampledPeak: number
  /** VmHWM at the end; null when it could not be reset before the window (then it is older). */
  readonly hwm: number | null
}

interface Watch {
  stop(): Window
}

/** Starts sampling `pid`'s RSS every SAMPLE_MS; `stop` reads the peak. */
function watch(pid: number): Watch {
  const before = rssBytes(pid)
  const reset = resetPeak(pid)
  let peak = before
  const timer = setInterval(() => {
    peak = Math.max(peak, rssBytes(pid))
  }, SAMPLE_MS)
  return {
    stop: () => {
      clearInterval(timer)
      peak = Math.max(peak, rssBytes(pid))
      return { before, sampledPeak: peak, hwm: reset ? hwmBytes(pid) : null }
    },
  }
}

/** Growth = the higher of the sampled peak and VmHWM, minus the RSS before. */
function growth(w: Window): number {
  return Math.max(w.sampledPeak, w.hwm ?? 0) - w.before
}

interface JobResult {
  readonly jobId: string
  readonly seconds: number
  readonly sha256: string
  readonly server: Window
  readonly worker: Window | null
}

async function execute(base: string, bytes: number): Promise<string> {
  const res = await fetch(`${base}/api/workspaces/bench/tasks/artifact/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ input: { bytes } }),
  })
  const body = (await res.json()) as { job_id?: string; error?: string }
  if (!res.ok || !body.job_id) throw new Error(`execute: ${res.status} ${body.error ?? ''}`)
  return body.job_id
}

interface JobView {
  readonly status: string
  readonly steps: ReadonlyArray<{ output: unknown; error_message: string | null }>
}

async function waitForJob(base: string, jobId: string): Promise<JobView> {
  const deadline = performance.now() + JOB_TIMEOUT_MS
  while (performance.now() < deadline) {
    const res = await fetch(`${base}/api/jobs/${jobId}`)
    const job = (await res.json()) as JobView
    if (['completed', 'failed', 'cancelled'].includes(job.status)) return job
    await sleep(SAMPLE_MS)
  }
  throw new Error(`job ${jobId} did not finish in ${JOB_TIMEOUT_MS / 1000} s`)
}

/** Runs one artifact job, watching the server (and the worker process, if any). */
async function runJob(base: string, pids: { server: number; worker?: number }, bytes: number) {
  const server = watch(pids.server)
  const worker = pids.worker === undefined ? null : watch(pids.worker)
  const t0 = performance.now()
  const jobId = await execute(base, bytes)
  const job = await waitForJob(base, jobId)
  const result: JobResult = {
    jobId,
    seconds: (performance.now() - t0) / 1000,
    sha256: (job.steps[0]?.output as { sha256?: string } | null)?.sha256 ?? '',
    server: server.stop(),
    worker: worker?.stop() ?? null,
  }
  if (job.status !== 'completed')
    throw new Error(`job ${jobId} ${job.status}: ${job.steps[0]?.error_message ?? ''}`)
  return result
}

interface Download {
  readonly seconds: number
  readonly bytes: number
  readonly sha256: string
  readonly matches: boolean
  readonly server: Window
}

/** Downloads big.bin of `job`, hashing it as it arrives. */
async function download(base: string, pid: number, job: JobResult): Promise<Download> {
  const w = watch(pid)
  const t0 = performance.now()
  const res = await fetch(`${base}/api/jobs/${job.jobId}/artifacts/big.bin`)
  if (!res.ok || !res.body) throw new Error(`download: ${res.status}`)
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of res.body) {
    bytes += chunk.length
    hash.update(chunk)
  }
  const sha256 = hash.digest('hex')
  return {
    seconds: (performance.now() - t0) / 1000,
    bytes,
    sha256,
    matches: bytes === BYTES && sha256 === job.sha256,
    server: w.stop(),
  }
}

/** Warm-up, then JOBS jobs, then one download. */
async function measure(base: string, pids: { server: number; worker?: number }, label: string) {
  await runJob(base, pids, WARM_UP_BYTES)
  await sleep(500)
  const jobs: JobResult[] = []
  for (let i = 1; i <= JOBS; i++) {
    const r = await runJob(base, pids, BYTES)
    progress(
      `${label} job ${i}/${JOBS}: ${r.seconds.toFixed(1)} s, server +${(growth(r.server) / MB).toFixed(1)} MB`,
    )
    jobs.push(r)
  }
  const last = jobs[jobs.length - 1]!
  const downloads: Download[] = []
  for (let i = 1; i <= DOWNLOADS; i++) {
    const dl = await download(base, pids.server, last)
    progress(
      `${label} download ${i}/${DOWNLOADS}: ${dl.seconds.toFixed(1)} s, +${(growth(dl.server) / MB).toFixed(1)} MB`,
    )
    downloads.push(dl)
  }
  return { jobs, downloads }
}

function serverConfig(dir: string, remote: boolean) {
  return {
    artifact_storage: {
      archive: { type: 'local', path: join(dir, 'archive') },
      // The default max_file_bytes is 100 MiB; --mib may ask for more.
      max_file_bytes: Math.max(BYTES, 104_857_600),
      max_job_bytes: Math.max(2 * BYTES, 1_073_741_824),
    },
    ...(remote ? { embedded_worker: { enabled: false }, worker_token: BENCH_WORKER_TOKEN } : {}),
  }
}

async function dbUrl(): Promise<string | null> {
  return DB === 'pg' ? freshDatabase('weir_bench_artifacts') : null
}

async function withServer<T>(remote: boolean, fn: (s: ChildServer) => Promise<T>): Promise<T> {
  const server = await startChildServer(await dbUrl(), {
    config: (dir) => serverConfig(dir, remote),
  })
  try {
    return await fn(server)
  } finally {
    await server.stop()
  }
}

const machine = machineInfo(DB === 'pg' ? await loadPgInfo() : null)
progress(`embedded worker: ${JOBS} × ${BYTES / 2 ** 20} MiB on ${DB}`)
const embedded = await withServer(false, (s) => measure(s.base, { server: s.pid }, 'embedded'))
progress(`remote worker: ${JOBS} × ${BYTES / 2 ** 20} MiB on ${DB}`)
const remote = await withServer(true, async (s) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'weir-bench-worker-'))
  const worker = startWorkerProcess({
    base: s.base,
    name: 'bench-artifacts',
    stateDir,
    concurrency: 1,
  })
  try {
    await waitForWorkers(s.base)
    return await measure(s.base, { server: s.pid, worker: worker.pid! }, 'remote')
  } finally {
    await stopWorkerProcess(worker)
    rmSync(stateDir, { recursive: true, force: true })
  }
})

const mb = (n: number) => (n / MB).toFixed(1)
const verdict = (bytes: number) => (bytes <= TARGET_MB * MB ? 'met' : 'NOT met')
interface Line {
  readonly run: string
  readonly w: Window
  readonly seconds: number
  readonly worker?: Window | null
}
const lines: Line[] = []
for (const [label, r] of [
  ['embedded', embedded],
  ['remote', remote],
] as const) {
  r.jobs.forEach((j, i) =>
    lines.push({ run: `${label} job ${i + 1}`, w: j.server, seconds: j.seconds, worker: j.worker }),
  )
  r.downloads.forEach((d, i) =>
    lines.push({ run: `${label} download ${i + 1}`, w: d.server, seconds: d.seconds }),
  )
}

console.log(describeMachine(machine))
console.log(
  `${BYTES / 2 ** 20} MiB artifact, server RSS in MB (10^6 bytes); target growth ≤ ${TARGET_MB} MB`,
)
console.log(
  [
    'run'.padEnd(20),
    'time'.padStart(7),
    'before'.padStart(8),
    'sampled'.padStart(8),
    'VmHWM'.padStart(8),
    'growth'.padStart(8),
    'target'.padStart(8),
    '  worker before → peak',
  ].join(' '),
)
for (const l of lines) {
  const g = growth(l.w)
  console.log(
    [
      l.run.padEnd(20),
      `${l.seconds.toFixed(1)} s`.padStart(7),
      mb(l.w.before).padStart(8),
      mb(l.w.sampledPeak).padStart(8),
      (l.w.hwm === null ? '-' : mb(l.w.hwm)).padStart(8),
      mb(g).padStart(8),
      verdict(g).padStart(8),
      l.worker
        ? `  ${mb(l.worker.before)} → ${mb(Math.max(l.worker.sampledPeak, l.worker.hwm ?? 0))}`
        : '',
    ].join(' '),
  )
}
for (const [label, r] of [
  ['embedded', embedded],
  ['remote', remote],
] as const) {
  r.downloads.forEach((d, i) =>
    console.log(
      `${label} download ${i + 1}: ${d.bytes} bytes, sha256 ${d.matches ? 'matches' : `DIFFERS (${d.sha256})`}`,
    ),
  )
}

mkdirSync(OUT, { recursive: true })
const stamp = new Date().toISOString().replace(/[:.]/g, '-')
const file = join(OUT, `artifacts-${DB}-${stamp}.json`)
writeFileSync(
  file,
  JSON.stringify(
    { machine, bytes: BYTES, targetMB: TARGET_MB, embedded, remote, at: stamp },
    null,
    2,
  ),
)
console.log(`written: ${file}`)
const ok =
  lines.every((l) => growth(l.w) <= TARGET_MB * MB) &&
  [...embedded.downloads, ...remote.downloads].every((d) => d.matches)
process.exit(ok ? 0 : 1)
