import { spawn } from 'node:child_process'
const c = spawn(process.execPath, ['src/worker/executors/spawner-child.mjs', '2000'], { stdio: ['ignore','ignore','inherit','ipc'], serialization: 'advanced', env: {} })
c.on('exit', (a, b) => console.log('exit', a, b))
c.on('close', (a, b) => console.log('close', a, b))

setTimeout(() => { c.ref(); c.channel.ref(); console.log('connected', c.connected); c.disconnect(); }, 300)
