/**
 * The Python spawner helper's wire format (spawner-child.py): frames of u32 length (big-endian)
 * of the rest, u8 kind, u32 launch id, payload; decoded into the messages the Node helper sends
 * over its IPC channel, so one launcher serves both helpers.
 */
import type { LaunchSpec } from './process-launcher.ts'

export type SpawnerMessage =
  | { t: 'spawned'; id: number; pid: number }
  | { t: 'out' | 'err'; id: number; d: Buffer }
  | { t: 'exit'; id: number; code: number | null; signal: string | null }
  | { t: 'error'; id: number; message: string; code: string | undefined }

const HEADER = 9

export function encodeLaunch(id: number, spec: LaunchSpec): Buffer {
  const body = Buffer.from(
    JSON.stringify({ command: spec.command, args: spec.args, cwd: spec.cwd, env: spec.env }),
  )
  const frame = Buffer.allocUnsafe(HEADER + body.length)
  frame.writeUInt32BE(5 + body.length, 0)
  frame.write('L', 4, 'latin1')
  frame.writeUInt32BE(id, 5)
  body.copy(frame, HEADER)
  return frame
}

/** Accumulates stdout chunks of the helper and yields complete messages; garbage is skipped. */
export class FrameDecoder {
  #buf: Buffer = Buffer.alloc(0)

  push(chunk: Buffer): SpawnerMessage[] {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk])
    const out: SpawnerMessage[] = []
    let at = 0
    while (this.#buf.length - at >= 4) {
      const size = this.#buf.readUInt32BE(at)
      if (this.#buf.length - at < 4 + size) break
      if (size >= 5) {
        const kind = String.fromCharCode(this.#buf[at + 4]!)
        const id = this.#buf.readUInt32BE(at + 5)
        const m = decode(kind, id, this.#buf.subarray(at + HEADER, at + 4 + size))
        if (m) out.push(m)
      }
      at += 4 + size
    }
    this.#buf = this.#buf.subarray(at)
    return out
  }
}

function decode(kind: string, id: number, payload: Buffer): SpawnerMessage | null {
  switch (kind) {
    case 'S':
      return payload.length === 4 ? { t: 'spawned', id, pid: payload.readUInt32BE(0) } : null
    case 'O':
      return { t: 'out', id, d: Buffer.from(payload) }
    case 'E':
      return { t: 'err', id, d: Buffer.from(payload) }
    case 'X':
    case 'F': {
      let v: Record<string, unknown>
      try {
        v = JSON.parse(payload.toString('utf8')) as Record<string, unknown>
      } catch {
        return null
      }
      const str = (x: unknown) => (typeof x === 'string' ? x : null)
      return kind === 'X'
        ? { t: 'exit', id, code: typeof v.code === 'number' ? v.code : null, signal: str(v.signal) }
        : {
            t: 'error',
            id,
            message: str(v.message) ?? 'spawn failed',
            code: str(v.code) ?? undefined,
          }
    }
    default:
      return null
  }
}
