import { createSpawnerLauncher } from './src/worker/executors/spawner-launcher.ts'
const l = createSpawnerLauncher({ logger: { warn: (...a: unknown[]) => console.log('WARN', a) } as never })
for (let i = 0; i < 3; i++) {
  const t = await new Promise((resolve, reject) => l.launch({ command: 'sh', args: ['-c', 'echo hi'], cwd: '/tmp', env: { PATH: '/usr/bin:/bin' } }, { onStdout: (c) => console.log('out', c), onStderr: () => {}, onExit: (c, s) => resolve([c, s]), onError: (m) => reject(new Error(m)) }))
  console.log(t)
}
await l.close()
console.log('closed')
