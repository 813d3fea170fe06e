/**
 * The Engine's multiplexed attach stream (no TTY): frames of an 8-byte header (stream type 1 for
 * stdout, 2 for stderr, three zero bytes, a big-endian uint32 length) and that many payload
 * bytes. Frames and headers may be cut anywhere across chunks; the demuxer keeps the remainder.
 */

export interface DockerStreamSink {
  stdout(chunk: Buffer): void
  stderr(chunk: Buffer): void
}

const HEADER_BYTES = 8

export interface DockerStreamDemuxer {
  push(chunk: Buffer): void
  /** Bytes of a frame left incomplete at the end (0 when the stream ended cleanly). */
  readonly pending: number
}

export function createDockerStreamDemuxer(sink: DockerStreamSink): DockerStreamDemuxer {
  let buffered = Buffer.alloc(0)
  /** Payload bytes still owed by the current frame, and its stream. */
  let remaining = 0
  let stream = 1

  function emit(payload: Buffer): void {
    if (payload.length === 0) return
    // Type 0 (stdin) never comes back from attach; anything but stderr counts as stdout.
    if (stream === 2) sink.stderr(payload)
    else sink.stdout(payload)
  }

  return {
    push(chunk) {
      let data = buffered.length > 0 ? Buffer.concat([buffered, chunk]) : chunk
      buffered = Buffer.alloc(0)
      while (data.length > 0) {
        if (remaining > 0) {
          const take = Math.min(remaining, data.length)
          emit(data.subarray(0, take))
          remaining -= take
          data = data.subarray(take)
          continue
        }
        if (data.length < HEADER_BYTES) {
          buffered = Buffer.from(data)
          return
        }
        stream = data[0]!
        remaining = data.readUInt32BE(4)
        data = data.subarray(HEADER_BYTES)
      }
    },
    get pending() {
      return buffered.length + remaining
    },
  }
}
