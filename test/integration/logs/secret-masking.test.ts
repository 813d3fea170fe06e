import { expect } from 'chai'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { logFilePath } from '../../../src/logs/jsonl-file.ts'
import { createJsonlLogStore } from '../../../src/logs/jsonl-log-store.ts'
import { createLogHub } from '../../../src/logs/log-hub.ts'
import { newJobId } from '../../../src/shared/ids.ts'
import type { ProcessLauncher } from '../../../src/runner/executors/process-launcher.ts'
import { runScript } from '../../../src/runner/executors/script-executor.ts'
import { baseEnv, launcherKinds, waitFor } from '../runner/exec-support.ts'

/** Wraps a launcher to see the raw stdout chunks the executor receives. */
function watchChunks(inner: ProcessLauncher, chunks: Buffer[]): ProcessLauncher {
  return {
    launch: (spec, h) =>
      inner.launch(spec, {
        ...h,
        onStdout: (chunk) => {
          chunks.push(chunk)
          h.onStdout(chunk)
        },
      }),
    close: () => inner.close(),
  }
}

for (const kind of launcherKinds) {
  describe(`secret masking end to end (${kind.name} launcher)`, () => {
    let dir: string
    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'weir-secret-test-'))
    })
    after(async () => {
      await rm(dir, { recursive: true, force: true })
    })

    it('masks a secret that reached the executor in two separate chunks', async () => {
      const secret = 's3cret-value'
      const marker = path.join(dir, `${kind.name}-second-half`)
      const chunks: Buffer[] = []
      const launcher = watchChunks(kind.make(), chunks)
      const store = createJsonlLogStore({ dir, hub: createLogHub() })
      const jobId = newJobId()
      const appends: Array<Promise<unknown>> = []
      store.addSecrets(jobId, [secret])
      try {
        const running = runScript(
          {
            language: 'shell',
            interpreter: null,
            script: `printf 'key=s3cr'; while [ ! -e "$MARK" ]; do sleep 0.01; done; printf 'et-value!\\n'`,
            sourcePath: null,
            args: [],
            cwd: dir,
            env: { ...baseEnv, MARK: marker },
            timeoutMs: 5000,
          },
          {
            signal: new AbortController().signal,
            launcher,
            onLines: (lines) => {
              appends.push(
                store.append(
                  jobId,
                  lines.map((l) => ({ ...l, step: 'leak' })),
                ),
              )
            },
          },
        )
        await waitFor(() => chunks.length > 0, { what: 'the first half of the secret' })
        await writeFile(marker, '')
        const result = await running
        expect(result.exitCode).to.equal(0)
        expect(chunks.length).to.be.at.least(2)
        expect(chunks[0]!.toString()).to.equal('key=s3cr')
        await Promise.all(appends)
        expect(await store.lastSeq(jobId)).to.equal(1)
        const text = await readFile(logFilePath(dir, jobId, new Date()), 'utf8')
        expect(text).to.contain('"line":"key=******!"')
        expect(text).not.to.contain('s3cr')
      } finally {
        await store.closeAll()
        await launcher.close()
      }
    })
  })
}
