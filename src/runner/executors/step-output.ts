/**
 * What a running step prints, whatever runs it (a process or a container): its stdout and stderr
 * bytes cut into log lines (line-splitter.ts) handed on in small batches, the last `OUTPUT:`
 * value (output-protocol.ts), and the tail of stderr for the error message.
 */
import type { Clock } from '../../shared/clock.ts'
import { systemClock } from '../../shared/clock.ts'
import { coerceError } from '../../shared/errors.ts'
import { createLineSplitter } from './line-splitter.ts'
import type { LineSplitter } from './line-splitter.ts'
import { createOutputCollector } from './output-protocol.ts'
import type { ExecLine } from './script-executor.ts'

const STDERR_TAIL_BYTES = 4096

function execLine(
  ts: string,
  stream: 'stdout' | 'stderr',
  line: string,
  endsLine: boolean,
): ExecLine {
  return endsLine ? { ts, stream, line } : { ts, stream, line, continues: true }
}

/** Decodes a byte tail, dropping a character cut in half at its start. */
function decodeTail(tail: Buffer): string {
  let start = 0
  while (start < tail.length && start < 3 && (tail[start]! & 0xc0) === 0x80) start += 1
  return tail.toString('utf8', start)
}

export class StepOutput {
  readonly #onLines: (lines: ExecLine[]) => void
  readonly #clock: Pick<Clock, 'now'>
  readonly #output = createOutputCollector()
  readonly #warnings: string[] = []
  readonly #stdout: LineSplitter
  readonly #stderr: LineSplitter
  #batch: ExecLine[] = []
  #ts = ''
  #stderrTail: Buffer = Buffer.alloc(0)

  /** `onLines` receives lines in small batches as they are read; it must not block. */
  constructor(onLines: (lines: ExecLine[]) => void, clock: Pick<Clock, 'now'> = systemClock) {
    this.#onLines = onLines
    this.#clock = clock
    this.#stdout = createLineSplitter((piece, endsLine) => {
      this.#batch.push(execLine(this.#ts, 'stdout', piece, endsLine))
      this.#output.observe(piece, endsLine)
    })
    this.#stderr = createLineSplitter((piece, endsLine) => {
      this.#batch.push(execLine(this.#ts, 'stderr', piece, endsLine))
    })
  }

  stdout(chunk: Buffer): void {
    this.#onChunk(this.#stdout, chunk)
  }

  stderr(chunk: Buffer): void {
    this.#keepStderrTail(chunk)
    this.#onChunk(this.#stderr, chunk)
  }

  /** Emits the unterminated last lines; call once the streams have closed. */
  end(): void {
    this.#ts = this.#clock.now().toISOString()
    this.#stdout.end()
    this.#stderr.end()
    this.#deliver()
  }

  /** The value of the last valid `OUTPUT:` stdout line; undefined if none. */
  get value(): unknown {
    return this.#output.value
  }

  get warnings(): string[] {
    return [...this.#output.warnings, ...this.#warnings]
  }

  /** The last 4 KiB of stderr. */
  get stderrTail(): string {
    return decodeTail(this.#stderrTail)
  }

  #onChunk(splitter: LineSplitter, chunk: Buffer): void {
    this.#ts = this.#clock.now().toISOString()
    splitter.push(chunk)
    this.#deliver()
  }

  #deliver(): void {
    if (this.#batch.length === 0) return
    const lines = this.#batch
    this.#batch = []
    try {
      this.#onLines(lines)
    } catch (e) {
      if (this.#warnings.length < 5)
        this.#warnings.push(`log sink failed: ${coerceError(e).message}`)
    }
  }

  #keepStderrTail(chunk: Buffer): void {
    const joined =
      chunk.length >= STDERR_TAIL_BYTES ? chunk : Buffer.concat([this.#stderrTail, chunk])
    this.#stderrTail = Buffer.from(joined.subarray(Math.max(0, joined.length - STDERR_TAIL_BYTES)))
  }
}
