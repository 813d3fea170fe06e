import { runScript } from './src/worker/executors/script-executor.ts'
import { createSpawnerLauncher } from './src/worker/executors/spawner-launcher.ts'
const env = { PATH: '/usr/bin:/bin:/root/.pyenv/shims' }
const launcher = createSpawnerLauncher()
for (const l of [undefined, launcher]) {
  const ac = new AbortController()
  const r = await runScript({ language: 'shell', interpreter: null, script: 'echo hi; echo "OUTPUT: {\\"a\\":1}"; echo err >&2; exit 3', sourcePath: null, args: [], cwd: '/tmp', env, timeoutMs: null }, { signal: ac.signal, onLines: (ls) => console.log(ls), launcher: l })
  console.log(r)
  const r2 = await runScript({ language: 'python', interpreter: null, script: 'import sys\nprint("py", sys.argv[1:])', sourcePath: null, args: ['a','b'], cwd: '/tmp', env, timeoutMs: 500, killGraceMs: 200 }, { signal: ac.signal, onLines: (ls) => console.log(ls), launcher: l })
  console.log(r2)
  const t0 = Date.now()
  const r3 = await runScript({ language: 'shell', interpreter: null, script: 'sleep 100 & sleep 100; wait', sourcePath: null, args: [], cwd: '/tmp', env, timeoutMs: 300 }, { signal: ac.signal, onLines: (ls) => console.log(ls), launcher: l })
  console.log(r3, Date.now() - t0)
}
await launcher.close()
