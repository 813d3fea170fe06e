import { expect } from 'chai'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { monotonicMs } from '../../../src/shared/clock.ts'
import type { ProcessLauncher } from '../../../src/runner/executors/process-launcher.ts'
import type { ExecLine } from '../../../src/runner/executors/script-executor.ts'
import { baseEnv, execute, isAlive, launcherKinds, spawnerKinds, waitFor } from './exec-support.ts'

/** Starts two background sleeps and a foreground one, printing every pid first. */
const SLEEPERS = 'sleep 100 & echo $!; sleep 100 & echo $!; echo $$; echo ready; wait'

function pidsFrom(lines: ReadonlyArray<ExecLine>): number[] {
  return lines.filter((l) => /^\d+$/.test(l.line)).map((l) => Number(l.line))
}

for (const kind of launcherKinds) {
  describe(`script executor: stopping process groups (${kind.name} launcher)`, () => {
    let launcher: ProcessLauncher
    let dir: string

    before(async () => {
      launcher = kind.make()
      dir = await mkdtemp(path.join(tmpdir(), 'weir-exec-test-'))
    })
    after(async () => {
      await launcher.close()
      await rm(dir, { recursive: true, force: true })
    })

    it('delivers a line while the process is still running', async () => {
      const marker = path.join(dir, 'go-on')
      let finished = false
      const seen: string[] = []
      const running = execute(
        launcher,
        {
          script: 'echo first; while [ ! -e "$MARK" ]; do sleep 0.01; done; echo second',
          env: { ...baseEnv, MARK: marker },
          cwd: dir,
        },
        { onLines: (batch) => seen.push(...batch.map((l) => l.line)) },
      ).finally(() => (finished = true))
      await waitFor(() => seen.includes('first'), { what: 'the first line' })
      expect(finished).to.equal(false)
      await writeFile(marker, '')
      const { stdout } = await running
      expect(stdout).to.deep.equal(['first', 'second'])
    })

    it('kills the whole group on timeout and says so', async () => {
      const { result, lines } = await execute(launcher, {
        script: SLEEPERS,
        timeoutMs: 300,
        cwd: dir,
      })
      expect(result.timedOut).to.equal(true)
      expect(result.errorMessage).to.equal('Step timed out after 0.3s')
      const pids = pidsFrom(lines)
      expect(pids).to.have.length(3)
      await waitFor(() => pids.every((p) => !isAlive(p)), { timeoutMs: 1000, what: 'no survivors' })
    })

    it('kills the whole group within a second of an abort', async () => {
      const ac = new AbortController()
      const seen: ExecLine[] = []
      const running = execute(
        launcher,
        { script: SLEEPERS, cwd: dir },
        { signal: ac.signal, onLines: (b) => seen.push(...b) },
      )
      await waitFor(() => seen.some((l) => l.line === 'ready'), { what: 'the script to start' })
      const start = monotonicMs()
      ac.abort()
      const { result } = await running
      expect(monotonicMs() - start).to.be.below(1000)
      expect(result.aborted).to.equal(true)
      expect(result.errorMessage).to.equal('Step cancelled')
      const pids = pidsFrom(seen)
      await waitFor(() => pids.every((p) => !isAlive(p)), { timeoutMs: 1000, what: 'no survivors' })
    })

    it('escalates to SIGKILL after the grace when SIGTERM is ignored', async () => {
      const ac = new AbortController()
      const seen: ExecLine[] = []
      const running = execute(
        launcher,
        { script: `trap '' TERM; ${SLEEPERS}`, killGraceMs: 200, cwd: dir },
        { signal: ac.signal, onLines: (b) => seen.push(...b) },
      )
      await waitFor(() => seen.some((l) => l.line === 'ready'), { what: 'the script to start' })
      ac.abort()
      const { result } = await running
      expect(result.signal).to.equal('SIGKILL')
      const pids = pidsFrom(seen)
      await waitFor(() => pids.every((p) => !isAlive(p)), { timeoutMs: 1000, what: 'no survivors' })
    })

    it('does not start anything when already aborted', async () => {
      const ac = new AbortController()
      ac.abort()
      const { result, lines } = await execute(
        launcher,
        { script: 'echo never', cwd: dir },
        { signal: ac.signal },
      )
      expect(result.aborted).to.equal(true)
      expect(result.spawnError).to.equal(null)
      expect(lines).to.deep.equal([])
    })

    it('does not wait forever on a background process that keeps the pipes open', async () => {
      const quick = kind.make({ drainMs: 200 })
      try {
        const { result, stdout } = await execute(quick, {
          script: 'sleep 100 & echo $!; echo done',
          cwd: dir,
        })
        expect(result.exitCode).to.equal(0)
        expect(stdout[1]).to.equal('done')
        const bg = Number(stdout[0])
        await waitFor(() => !isAlive(bg), { timeoutMs: 1000, what: 'the background sleep to die' })
      } finally {
        await quick.close()
      }
    })
  })
}

for (const kind of spawnerKinds) {
  describe(`spawner launcher (${kind.name})`, () => {
    it('fails the runs of a helper that died, kills their groups and restarts on demand', async () => {
      const launcher = kind.make()
      const dir = await mkdtemp(path.join(tmpdir(), 'weir-exec-test-'))
      try {
        const seen: ExecLine[] = []
        const running = execute(
          launcher,
          { script: `echo "helper $PPID"; ${SLEEPERS}`, cwd: dir },
          { onLines: (b) => seen.push(...b) },
        )
        await waitFor(() => seen.some((l) => l.line === 'ready'), { what: 'the script to start' })
        const helper = Number(seen[0]!.line.split(' ')[1])
        process.kill(helper, 'SIGKILL')
        const { result } = await running
        expect(result.spawnError).to.match(/^process launcher exited .* unexpectedly$/)
        const pids = pidsFrom(seen)
        await waitFor(() => pids.every((p) => !isAlive(p)), {
          timeoutMs: 1000,
          what: 'no survivors',
        })
        const again = await execute(launcher, { script: 'echo "helper $PPID"', cwd: dir })
        expect(again.result.errorMessage).to.equal(null)
        expect(again.stdout[0]).to.not.equal(`helper ${helper}`)
      } finally {
        await launcher.close()
        await rm(dir, { recursive: true, force: true })
      }
    })

    it('rejects launches after close', async () => {
      const launcher = kind.make()
      await launcher.close()
      await launcher.close()
      const { result } = await execute(launcher, { script: 'true', cwd: tmpdir() })
      expect(result.spawnError).to.equal('process launcher is closed')
    })
  })
}
