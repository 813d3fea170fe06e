// Helper process that spawns step processes for a big parent: fork() from a lean process costs a
// fraction of fork() from a server holding a large heap. Plain JavaScript with node built-ins only,
// run with plain `node`, so it stays small. Talks to its parent over the IPC channel (advanced
// serialization, so output chunks travel as binary Buffers).
//
// parent -> here: { t: 'launch', id, command, args, cwd, env }
// here -> parent: { t: 'spawned', id, pid } | { t: 'out' | 'err', id, d: Buffer }
//                 { t: 'exit', id, code, signal } | { t: 'error', id, message, code }
// The parent signals process groups itself (it knows each pid). Lifecycle rules mirror the direct
// launcher in process-launcher.ts: 'exit' is sent once the process exited and its pipes closed;
// pipes still open `drainMs` after exit get the group SIGKILLed and are dropped 500 ms later.
import { spawn } from 'node:child_process'
import process from 'node:process'
import { clearTimeout, setTimeout } from 'node:timers'

const drainMs = Number(process.argv[2] ?? '2000')
const HIGH_WATER = 8 * 1024 * 1024
const LOW_WATER = 1024 * 1024
const running = new Map()
let inFlightBytes = 0
let paused = false

function send(message, onSent) {
  if (!process.connected) return
  process.send(message, undefined, {}, onSent)
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal)
  } catch {
    // the group is already gone
  }
}

// Backpressure: stop reading step output while too much is queued towards the parent.
function setPaused(value) {
  paused = value
  for (const child of running.values()) {
    for (const stream of [child.stdout, child.stderr]) {
      if (value) stream.pause()
      else stream.resume()
    }
  }
}

function forward(id, kind, chunk) {
  inFlightBytes += chunk.length
  send({ t: kind, id, d: chunk }, () => {
    inFlightBytes -= chunk.length
    if (paused && inFlightBytes < LOW_WATER) setPaused(false)
  })
  if (!paused && inFlightBytes > HIGH_WATER) setPaused(true)
}

function watchDrain(child) {
  let drainTimer
  let dropTimer
  child.once('exit', () => {
    drainTimer = setTimeout(() => {
      killGroup(child.pid, 'SIGKILL')
      dropTimer = setTimeout(() => {
        child.stdout.destroy()
        child.stderr.destroy()
      }, 500)
    }, drainMs)
  })
  return () => {
    clearTimeout(drainTimer)
    clearTimeout(dropTimer)
  }
}

function launch({ id, command, args, cwd, env }) {
  let child
  try {
    child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (e) {
    send({ t: 'error', id, message: String(e?.message ?? e), code: e?.code })
    return
  }
  if (child.pid === undefined) {
    child.once('error', (e) => send({ t: 'error', id, message: e.message, code: e.code }))
    return
  }
  running.set(id, child)
  send({ t: 'spawned', id, pid: child.pid })
  child.stdout.on('data', (chunk) => forward(id, 'out', chunk))
  child.stderr.on('data', (chunk) => forward(id, 'err', chunk))
  // A read error ends a pipe and 'close' still follows; unhandled, it would take this helper down.
  for (const emitter of [child, child.stdout, child.stderr]) emitter.on('error', () => {})
  if (paused) {
    child.stdout.pause()
    child.stderr.pause()
  }
  const stopDrain = watchDrain(child)
  child.once('close', (code, signal) => {
    stopDrain()
    running.delete(id)
    send({ t: 'exit', id, code, signal })
  })
}

process.on('message', (message) => {
  if (message?.t === 'launch') launch(message)
})

// The parent is gone: nobody reads the steps' output any more, so end them.
process.on('disconnect', () => {
  for (const child of running.values()) killGroup(child.pid, 'SIGKILL')
  process.exit(0)
})
