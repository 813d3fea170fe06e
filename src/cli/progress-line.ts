/**
 * A status line kept at the bottom of a terminal while output scrolls above it: every write
 * clears it, prints, and draws it again. Disabled, it prints nothing and writes pass through.
 */

// eslint-disable-next-line no-control-regex
const SGR = /\u001b\[[0-9;]*m/g
const CLEAR = '\r\u001b[2K'

export class ProgressLine {
  readonly #stream: NodeJS.WriteStream
  readonly #enabled: boolean
  #text = ''

  constructor(stream: NodeJS.WriteStream, enabled: boolean) {
    this.#stream = stream
    this.#enabled = enabled
  }

  show(text: string): void {
    if (!this.#enabled) return
    this.#text = text
    this.#stream.write(CLEAR + this.#fit(text))
  }

  /** Runs `write` (which prints whole lines) with the status line out of the way. */
  around(write: () => void): void {
    if (!this.#enabled || this.#text === '') return write()
    this.#stream.write(CLEAR)
    write()
    this.#stream.write(this.#fit(this.#text))
  }

  /** Removes the line for good (before the final output). */
  clear(): void {
    if (!this.#enabled || this.#text === '') return
    this.#stream.write(CLEAR)
    this.#text = ''
  }

  /** Cut to the terminal's width, so the line never wraps (colours dropped when cut). */
  #fit(text: string): string {
    const width = (this.#stream.columns || 80) - 1
    const plain = text.replace(SGR, '')
    return plain.length <= width ? text : `${plain.slice(0, width - 1)}…`
  }
}
