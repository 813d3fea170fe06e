/** A LIFO stack of cleanup functions: resources register their release as they are created. */
import { coerceError } from './errors.ts'

export type Release = () => void | Promise<void>

export class Releasers {
  #stack: Array<{ name: string; release: Release }> = []
  #released: Promise<void> | undefined

  add(name: string, release: Release): void {
    this.#stack.push({ name, release })
  }

  /** Runs every release in reverse order, going on past failures; rejects with the first one. Idempotent. */
  releaseAll(onError?: (name: string, e: Error) => void): Promise<void> {
    this.#released ??= this.#run(onError)
    return this.#released
  }

  async #run(onError?: (name: string, e: Error) => void): Promise<void> {
    let first: Error | undefined
    while (this.#stack.length > 0) {
      const item = this.#stack.pop()!
      try {
        await item.release()
      } catch (e) {
        const err = coerceError(e)
        onError?.(item.name, err)
        first ??= err
      }
    }
    if (first) throw first
  }
}
