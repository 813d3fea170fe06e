/**
 * The real Docker Engine for the container tests: the one DOCKER_HOST names (else the standard
 * socket), with the test image built from a static busybox (scripts/docker-test-image.sh) when
 * missing. Without an engine the tests skip with the reason printed; under CI (`CI=true`) a
 * missing engine fails the run instead.
 */
import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { LABELS } from '../../src/runner/executors/container-command.ts'
import { DockerEngine, engineErrorMessage } from '../../src/runner/executors/docker-engine.ts'
import { DEFAULT_DOCKER_HOST } from '../../src/shared/docker-host.ts'

export const TEST_IMAGE = 'weir-test/busybox:1'
export const DOCKER_HOST = process.env.DOCKER_HOST || DEFAULT_DOCKER_HOST

const ROOT = resolve(import.meta.dirname, '../..')
let checked: Promise<DockerEngine | string> | null = null

async function check(): Promise<DockerEngine | string> {
  const engine = new DockerEngine(DOCKER_HOST)
  try {
    await engine.ping(3000)
  } catch (e) {
    return `no Docker Engine at ${engine.address} (${engineErrorMessage(e)}); start dockerd to run them`
  }
  if (!(await engine.hasImage(TEST_IMAGE))) {
    const built = spawnSync('bash', [resolve(ROOT, 'scripts/docker-test-image.sh')], {
      encoding: 'utf8',
      env: { ...process.env, WEIR_TEST_IMAGE: TEST_IMAGE },
    })
    if (built.status !== 0) {
      return `cannot build the test image ${TEST_IMAGE}: ${(built.stderr || built.stdout).trim()}`
    }
  }
  return engine
}

/**
 * The engine, for a `before` hook: skips the suite (printing why) when there is none, and
 * throws under CI, where a missing engine is a failure.
 */
export async function requireDocker(ctx: Mocha.Context): Promise<DockerEngine> {
  checked ??= check()
  const r = await checked
  if (typeof r !== 'string') return r
  if (process.env.CI === 'true') throw new Error(`container tests under CI: ${r}`)
  process.stdout.write(`\n  skipping container tests: ${r}\n`)
  ctx.skip()
}

/** The step containers on the engine (running or not) for one job. */
export async function containersOfJob(engine: DockerEngine, jobId: string) {
  return engine.listLabelled(`${LABELS.jobId}=${jobId}`)
}
