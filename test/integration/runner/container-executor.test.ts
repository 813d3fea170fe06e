import { expect } from 'chai'
import { chmod, mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import {
  NO_STEP_FOLDERS,
  planContainer,
  type ContainerSettings,
} from '../../../src/runner/executors/container-command.ts'
import { runContainer } from '../../../src/runner/executors/container-executor.ts'
import type { DockerEngine } from '../../../src/runner/executors/docker-engine.ts'
import type { ExecLine, ExecResult } from '../../../src/runner/executors/script-executor.ts'
import type { ClaimedStep, ContainerStep } from '../../../src/runner/step-source.ts'
import { containersOfJob, requireDocker, TEST_IMAGE } from '../../helpers/docker-engine.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const SETTINGS: ContainerSettings = {
  runnerImage: TEST_IMAGE,
  network: 'none',
  workerId: 'test-worker',
  owner: 'test:container-executor',
}

let jobCounter = 0
function jobId(): string {
  jobCounter++
  return `00000000-0000-4000-8000-${String(process.pid).padStart(6, '0')}${String(jobCounter).padStart(6, '0')}`
}

function dockerStep(over: Partial<ContainerStep> = {}): ContainerStep {
  return {
    mode: 'action',
    image: TEST_IMAGE,
    cmd: null,
    entrypoint: null,
    command: null,
    pullPolicy: 'never',
    resources: { nanoCpus: null, memoryBytes: null },
    ...over,
  }
}

function claimed(container: ContainerStep, over: Partial<ClaimedStep> = {}): ClaimedStep {
  return {
    stepId: 's1',
    jobId: jobId(),
    workspace: 'default',
    taskName: 't',
    stepName: 'in-box',
    attempt: 1,
    leaseToken: 'wlt_x',
    action: { language: 'shell', interpreter: null, script: null, source: null, args: [] },
    container,
    env: { WEIR_INPUT_NAME: 'World' },
    cwd: tmpdir(),
    timeoutSecs: 30,
    ...over,
  }
}

describe('container executor on a real Docker Engine', function () {
  this.timeout(30000)
  let engine: DockerEngine
  let ws: string

  before(async function () {
    engine = await requireDocker(this)
    ws = await realpath(await mkdtemp(path.join(tmpdir(), 'weir-container-ws-')))
    await mkdir(path.join(ws, 'scripts'))
    await writeFile(path.join(ws, 'scripts', 'hello.sh'), 'echo "hello from $(pwd) $1"\n')
    await writeFile(path.join(ws, 'data.txt'), 'workspace data\n')
  })
  after(async () => {
    if (ws) await rm(ws, { recursive: true, force: true })
  })

  async function run(
    step: ClaimedStep,
    opts: { signal?: AbortSignal; timeoutMs?: number; onCreated?: (id: string) => void } = {},
  ): Promise<{ result: ExecResult; lines: ExecLine[] }> {
    const plan = await planContainer(step, step.container!, SETTINGS, NO_STEP_FOLDERS)
    if (!plan.ok) throw new Error(plan.message)
    const lines: ExecLine[] = []
    const result = await runContainer(plan.run, {
      engine,
      signal: opts.signal ?? new AbortController().signal,
      onLines: (batch) => lines.push(...batch),
      timeoutMs: opts.timeoutMs ?? 30000,
      killGraceMs: 500,
      onCreated: opts.onCreated,
    })
    expect(await containersOfJob(engine, step.jobId), 'containers left').to.deep.equal([])
    return { result, lines }
  }

  const text = (lines: ExecLine[], stream: 'stdout' | 'stderr') =>
    lines.filter((l) => l.stream === stream).map((l) => l.line)

  it('runs cmd in the image: stdout and stderr apart, line by line, OUTPUT: parsed, inputs in env', async () => {
    const { result, lines } = await run(
      claimed(
        dockerStep({
          cmd: 'echo "hi $WEIR_INPUT_NAME"; echo oops >&2; printf "OUTPUT: {\\"n\\": 4}\\nno newline"',
        }),
      ),
    )
    expect(result).to.include({ exitCode: 0, errorMessage: null, aborted: false, timedOut: false })
    expect(result.output).to.deep.equal({ n: 4 })
    expect(text(lines, 'stdout')).to.deep.equal(['hi World', 'OUTPUT: {"n": 4}', 'no newline'])
    expect(text(lines, 'stderr')).to.deep.equal(['oops'])
  })

  it('runs entrypoint and command in exec form', async () => {
    const { result, lines } = await run(
      claimed(dockerStep({ entrypoint: ['/bin/echo'], command: ['exec', 'form'] })),
    )
    expect(result.exitCode).to.equal(0)
    expect(text(lines, 'stdout')).to.deep.equal(['exec form'])
  })

  it('turns a non-zero exit into the step error, with stderr', async () => {
    const { result } = await run(claimed(dockerStep({ cmd: 'echo boom >&2; exit 3' })))
    expect(result.exitCode).to.equal(3)
    expect(result.errorMessage).to.equal('Exit code: 3\nStderr: boom')
  })

  it('runs a runner: docker script in the workspace, mounted read-only at /workspace', async () => {
    const inline = await run(
      claimed(dockerStep({ mode: 'script', image: null }), {
        cwd: ws,
        action: {
          language: 'shell',
          interpreter: null,
          script: 'pwd; cat data.txt; echo "arg=$1"; touch x 2>/dev/null || echo read-only',
          source: null,
          args: ['one'],
        },
      }),
    )
    expect(inline.result.errorMessage).to.equal(null)
    expect(text(inline.lines, 'stdout')).to.deep.equal([
      '/workspace',
      'workspace data',
      'arg=one',
      'read-only',
    ])
    const source = await run(
      claimed(dockerStep({ mode: 'script', image: null }), {
        cwd: ws,
        action: {
          language: 'shell',
          interpreter: null,
          script: null,
          source: 'scripts/hello.sh',
          args: ['there'],
        },
      }),
    )
    expect(text(source.lines, 'stdout')).to.deep.equal(['hello from /workspace there'])
  })

  it('applies resources as container limits', async () => {
    const { lines } = await run(
      claimed(
        dockerStep({
          cmd: 'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes',
          resources: { nanoCpus: 500_000_000, memoryBytes: 64 * 1024 * 1024 },
        }),
      ),
    )
    expect(text(lines, 'stdout')).to.deep.equal([String(64 * 1024 * 1024)])
  })

  it('stops a cancelled step with SIGTERM and removes its container', async () => {
    const abort = new AbortController()
    const created: string[] = []
    const step = claimed(dockerStep({ cmd: 'echo started; sleep 30' }))
    const pending = run(step, { signal: abort.signal, onCreated: (id) => created.push(id) })
    await waitFor(async () => (await containersOfJob(engine, step.jobId))[0]?.state === 'running', {
      timeoutMs: 10000,
      what: 'the container to run',
    })
    abort.abort()
    const { result } = await pending
    expect(result).to.include({ aborted: true, errorMessage: 'Step cancelled' })
    expect(created).to.have.length(1)
  })

  it('kills a step that ignores SIGTERM after the grace when it times out', async () => {
    const step = claimed(dockerStep({ cmd: "trap '' TERM; echo waiting; sleep 30 & wait" }))
    const started = Date.now()
    const { result, lines } = await run(step, { timeoutMs: 1500 })
    expect(result).to.include({ timedOut: true, errorMessage: 'Step timed out after 1.5s' })
    expect(result.exitCode).to.equal(137)
    expect(text(lines, 'stdout')).to.deep.equal(['waiting'])
    expect(Date.now() - started).to.be.below(10000)
  })

  it('fails a step whose image is missing, naming the image', async () => {
    const never = await run(claimed(dockerStep({ image: 'weir-test/absent:1' })))
    expect(never.result.errorMessage).to.match(
      /^image 'weir-test\/absent:1' is not on the Docker Engine at .+ \(pull_policy: never\)$/,
    )
    const pull = await run(
      claimed(dockerStep({ image: 'weir-test/absent:1', pullPolicy: 'if_not_present' })),
    )
    expect(pull.result.errorMessage).to.match(
      /^image 'weir-test\/absent:1' is not on the Docker Engine at .+ and pulling it failed: ./,
    )
    expect(pull.result.exitCode).to.equal(null)
  })

  it('fails a command the image does not have: exit 127, naming it', async () => {
    const { result } = await run(claimed(dockerStep({ command: ['no-such-binary'] })))
    expect(result.exitCode).to.equal(127)
    expect(result.errorMessage).to.match(/^Exit code: 127\nStderr: .*no-such-binary/)
  })
})

describe('container step planning (workspace source checks)', () => {
  it('reports a missing source file before any container exists', async () => {
    const dir = await realpath(await mkdtemp(path.join(tmpdir(), 'weir-plan-')))
    await writeFile(path.join(dir, 'run.sh'), 'echo x\n')
    await chmod(path.join(dir, 'run.sh'), 0o755)
    const step = claimed(dockerStep({ mode: 'script' }), {
      cwd: dir,
      action: { language: 'shell', interpreter: null, script: null, source: 'gone.sh', args: [] },
    })
    const plan = await planContainer(step, step.container!, SETTINGS, NO_STEP_FOLDERS)
    expect(plan).to.deep.equal({
      ok: false,
      message: `source file not found: ${path.join(dir, 'gone.sh')}`,
    })
    const exec = { ...step, action: { ...step.action, source: 'run.sh' } }
    const ok = await planContainer(exec, step.container!, SETTINGS, NO_STEP_FOLDERS)
    expect(ok.ok && ok.run.spec.cmd).to.deep.equal(['/workspace/run.sh'])
    await rm(dir, { recursive: true, force: true })
  })
})
